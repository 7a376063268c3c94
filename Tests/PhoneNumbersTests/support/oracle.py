#!/usr/bin/env python3
"""The phone table's outcomes by Python's phonenumbers (Google's libphonenumber ported), the
oracle PhoneNumbersTests compares the Swift answers with. Reads the table (region, text,
expected; tab-separated) on stdin, the accepted types as arguments (PhoneNumberType's Swift
names), and prints `region<TAB>text<TAB>outcome` per row: E.164, or `reason@REGION`."""
import sys

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

TYPES = {
    PhoneNumberType.FIXED_LINE: "fixedLine", PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixedLineOrMobile", PhoneNumberType.TOLL_FREE: "tollFree",
    PhoneNumberType.PREMIUM_RATE: "premiumRate", PhoneNumberType.SHARED_COST: "sharedCost",
    PhoneNumberType.VOIP: "voip", PhoneNumberType.PERSONAL_NUMBER: "personalNumber",
    PhoneNumberType.PAGER: "pager", PhoneNumberType.UAN: "uan", PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}
PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalidCountryCode", NumberParseException.NOT_A_NUMBER: "notANumber",
    NumberParseException.TOO_SHORT_AFTER_IDD: "tooShort", NumberParseException.TOO_SHORT_NSN: "tooShort",
    NumberParseException.TOO_LONG: "tooLong",
}
POSSIBILITIES = {
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "tooShort", ValidationResult.TOO_SHORT: "tooShort",
    ValidationResult.TOO_LONG: "tooLong", ValidationResult.INVALID_COUNTRY_CODE: "invalidCountryCode",
    ValidationResult.INVALID_LENGTH: "invalidForRegion",
}


def outcome(region, text, accepted):
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        return f"unknownRegion@{region}"
    number = None

    def failed(reason):
        own = phonenumbers.region_code_for_country_code(number.country_code) if number else "ZZ"
        where = own if len(own) == 2 and own != "ZZ" else region
        return f"{reason}@{where or '-'}"

    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        return failed(PARSE_ERRORS[error.error_type])
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility != ValidationResult.IS_POSSIBLE:
        return failed(POSSIBILITIES[possibility])
    if not phonenumbers.is_valid_number(number):
        return failed("invalidForRegion")
    kind = TYPES[phonenumbers.number_type(number)]
    if kind not in accepted:
        return failed(f"wrongType.{kind}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


accepted = set(sys.argv[1:])
for line in sys.stdin:
    if not line.strip() or line.startswith("#"):
        continue
    region, text = line.rstrip("\n").split("\t")[:2]
    print(f"{region}\t{text}\t{outcome(None if region == '-' else region, text, accepted)}")
