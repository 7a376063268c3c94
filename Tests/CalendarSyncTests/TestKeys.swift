import CryptoExtras

/// Two RSA keys made for these tests alone (openssl genpkey, 2048 bits), so no test generates
/// one: swift-crypto's key generation leaks the public exponent's bignum (16 bytes a key, in
/// `withBignumPointer`), which fails the LeakSanitizer run, and the suite itself only ever parses
/// keys. They sign nothing outside these tests.
enum TestKeys {
    static func serviceAccount() throws -> _RSA.Signing.PrivateKey {
        try _RSA.Signing.PrivateKey(pemRepresentation: serviceAccountPEM)
    }

    static func other() throws -> _RSA.Signing.PrivateKey {
        try _RSA.Signing.PrivateKey(pemRepresentation: otherPEM)
    }

    static let serviceAccountPEM = """
    -----BEGIN PRIVATE KEY-----
    MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCnMu72kYe+A4eb
    TNXexiRWzuOVnbjbGRGVLZBWjX0a7U9kaPYBKRToATcIYNP22gtCHnfzhd+qClL0
    28qyerralacV8KuIcIb3+CPbtM+djGXnmNCRx6/btHxFo8MV8r5LaGFnpDOr68tj
    A75p70+5Ahqv8uwndg3M1ft7UYY2/ukRSlOK9r6z595pd9xwDCeenoYMLZuJgXlJ
    8wdIbb1BRVMUDCWF8clExmkjs7u/oJraxlVRWcDpEAZNjSruxx93ps93TepqaIXk
    kxlPslDPZPNIf61Q3rFFQdHQcQP/7Ssbqm7CHqPgFcADVr981OYETlJ8yH11ZD32
    As7VXLmfAgMBAAECggEAGy2zMinSQXJ3GtO2GO+SMk7mKB4f0Z8KayVMHFhajkPQ
    zyx6qhH1/91MB1TKD+CTdOzZUyDKDJd/XaXUFggk6JRBZAEfuQmQVFhQko3FM+yB
    wiW76FPn7mmxIRbaMZlTEpSbRMrTIBlaZzQmweHwo80c7nNUAk7Ki9H606nFt0RG
    9pleF5lSsxT8dTO/ZYa6oe/zrFt1wjoNEc24awkyQ17vgyZoznpikSpkPKwAZECQ
    mUUSw8n7tJFb/N1W6liKt3aLr5zAAWMTElcWeo/jl0LfVuW69EhmAEdQ3cxdwLUX
    yfW3Or9ME9LlKVKsHfmGX6Lnp5qIFF8ig0jXC+E5wQKBgQDPgRgrNAHxyHH+Ym1I
    3GBuigxeBuiJ8nnlKZtgyoyrbcxKpAW8W0rtH0mIDYuQ2UfXkfDSlZ9cTLMzMTvo
    f7GfE3WTW1JEdOJhkURAch5+3S+Dm+Ni4DgXTXN3mdbvVDinlmGSsKKPz2pHRiox
    2PJH7ttJqmi4e8V5/RHLReNVQQKBgQDORmL2dyGJtX/sQSRUqJw7RvLbJuGSbrst
    xrrh8+v8/4MCJcfsvWWcvrb4mlB/QafEMpf//8jGfUw34oEgGBEfW0AuoOJ+XZ0i
    0EU0CY5mzYwWZRD4UuSFX6lyOpv/eWCMLadRkut7zCjmE3u3BFsdGL8xHddVFXND
    5ng4mSn23wKBgE/N8XKkNN89XQId7rPn9bpto2YCOCrds528C8MFA2bm+nv2azJO
    1hkuQERwGS4jMqsouLr0ym5gHUdh9w1rFu/8NuruY0xqu6oUiXBTs4DNJnnyWVhs
    rYXgxrjH1M8E0Ck7/9i/0DWI6vHwfUfgjQW3SmUhgdb52zAYcWCBR3ZBAoGAAuLf
    PZ2bHYcpnA+pR3n4fafXfBOGMntUKSbPtJuqIKcemSgYLQrVYiUVAFOAbtdnVopy
    sAVPNN/J8jo8HkvX6X1oX36mzKfYrAUIAttjX7Lek+2kGCVoxyj4gP2q8x8qp6t3
    3N9WZiwMInQBViU8dSLEghZtzeX37+pIoloaSTcCgYBtpRsmFXVFvIzdRhF2FKDf
    p8dO+DNR8zAEOa6I3WjJecz4ydPoSjknoZc64thBAPQO7gJlu6Lejjs7Ypp+03BT
    ZVDVMozIMtGbE75l12XZRVULfkydf2TgKrw/c97mJirSp2HvjCT9KwSoRVBnP5kD
    1sHwHfh9yPAirxJvlwuIqA==
    -----END PRIVATE KEY-----
    """

    static let otherPEM = """
    -----BEGIN PRIVATE KEY-----
    MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCVIRK9IQUBNAZj
    R/nE/K+Uvq6kDcAplrXMPQfeGsnR4kDoasU5tqPHDe02i+kKPvB0VxzlMKUxZJmi
    YDut6WlZsYZLsnKpHPKL0p65OQxcb6i/bqFgH8l5pHFuq9kiHV5prmMUDqcB04Z/
    0/Rx0P+k7KUKgue9ixBTV+w+X1cjTMfuU+PDE27QtELbKERC+FWN9CAQ/VO7JL/n
    kJ2SAcrB0JUcq5bYmGMr/ycSa+WJmCdcK3IteWRh32gm3zcmaV/TCj/2aG75jTr0
    Y7tHTgDKlCDoc2ex+2k9MvdG1OzEz4/sh8+MHF705hClHnItBef852XP+k6vBBKq
    50u8dXb9AgMBAAECggEARK5pue8GJgq20myorL+PgdrcBbRLhxvg+II3KGSABIjG
    SgQ6dx0ViqxwTonbNxvLlFk2dpuTyQ7C7xSRB8SS/3sSFbTGt/ob/qdu8HFEryHB
    vwCNk/6vxLUmhMjihKKwA84L1YX2BpJLxH1yfCS8SFGwpQmq/xGX4DqDFCrGr/uN
    n/wy2GN5D9OIIT+76z1G5fpoeUVBAZ4jmm1fSbf3qYgoT7xKoUO0zUiT7E4lO7RS
    Ot0gpNxOkxFHvuCorYJkX0/toGhKFP4772vaafoZaTlcH8bWLJulaKQGQHSJE9Lh
    jbTRHbAvZs3DUXsEUEqCRMqmv0zMA7wIgkx8aVsGZQKBgQDJFdSVHwEzjcLgq2gv
    6wEhNlx3j94hFdneZTekthu0yKU6RZFMZQ+uQ/X1rojtUknz6Jd3VpJYMlJvIn03
    V2u81L9yF+C4S+WpLvZxV03s5i7ugFSDF5BRFTyujA6oKbISYGLPGximqJ9OfH87
    so9qk14U4f00OBrE2ksZeW5e/wKBgQC92uqB7JPixT2ZetsiY61UHts+hWYeW9lg
    2NfTRI0PTXPXAv+SGV8uIkjHF2HMfqO0Wmspfy+wU676Hk6/8v6axvSqZXkYfFcD
    B2Pb0ofoPBJNpgCy7Ddj8fkXqNRIltdASdLklWgQne1lMsWEdsq1F2SPkQ9JBiGT
    yQTncm+mAwKBgDXPs73cODQVoasB87WvC/RZWdFdHLJ56H3NVGCtoyhz8VNwvntV
    KCcYZL/EXzwzIzs0aSQ0dKFJhinbburaaCh2Pm1H2ok3NlRaDvUxyda1mqWUjgku
    yx4Hst9694kk71RfmtGVjLk8srUMN/g/xoVcvnaUK3BH+1HmoOZGSrT9AoGBAIx0
    PDFKOE335Y56GUvjugMVoNUsE1Q6VyMSyPh/Kmw7vItAqJoJMyUKMBU58xw6RBnV
    GppkgX9NKZHYgiH3Pux6a97zmxbGRgjzmqixo+HnLxNK0BGON5w1Ezaxq/rXvP7O
    nrqE3awNaecIHJ/W0jgOylJ72ncHliei+4HOY1LJAoGBAI0k5w17zOuouaVEG7Mh
    qUXrcEjSUkL6gB8vKJlWI1OIbhjRI0LsnOO6janvVUInHpRu5Ku3eWZnaSIauyMp
    /t8KF4DZSAtH9qxanNXh9B4KsJZ0AEn3Bhoe/Y7x9XwcU5fH0sGwr/Rn1wnHQoiI
    7RF5XmraXld2WkZdHAF3BTVe
    -----END PRIVATE KEY-----
    """
}
