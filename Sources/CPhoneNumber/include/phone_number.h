// A C API over libphonenumber's C++ PhoneNumberUtil (Swift cannot call its C++ API without C++
// interop in every module that imports it), and over ICU's zone regions.
#ifndef CPHONENUMBER_PHONE_NUMBER_H
#define CPHONENUMBER_PHONE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// PhoneNumberUtil::ErrorType, in its order.
typedef enum {
    CPN_PARSED = 0,
    CPN_INVALID_COUNTRY_CODE,
    CPN_NOT_A_NUMBER,
    CPN_TOO_SHORT_AFTER_IDD,
    CPN_TOO_SHORT_NSN,
    CPN_TOO_LONG_NSN,
} cpn_parse_error;

/// PhoneNumberUtil::ValidationResult, in its order.
typedef enum {
    CPN_IS_POSSIBLE = 0,
    CPN_IS_POSSIBLE_LOCAL_ONLY,
    CPN_POSSIBLE_INVALID_COUNTRY_CODE,
    CPN_TOO_SHORT,
    CPN_INVALID_LENGTH,
    CPN_TOO_LONG,
} cpn_possibility;

/// PhoneNumberUtil::PhoneNumberType, in its order.
typedef enum {
    CPN_FIXED_LINE = 0,
    CPN_MOBILE,
    CPN_FIXED_LINE_OR_MOBILE,
    CPN_TOLL_FREE,
    CPN_PREMIUM_RATE,
    CPN_SHARED_COST,
    CPN_VOIP,
    CPN_PERSONAL_NUMBER,
    CPN_PAGER,
    CPN_UAN,
    CPN_VOICEMAIL,
    CPN_UNKNOWN,
} cpn_type;

/// Everything libphonenumber says about one typed number; the fields after `parse_error` are
/// set only when it is `CPN_PARSED`.
typedef struct {
    cpn_parse_error parse_error;
    cpn_possibility possibility;
    bool valid;
    bool has_extension;
    cpn_type type;
    int country_code;
    /// The country code's main region ("GB" for 44), "001" for a non-geographic code.
    char country_region[4];
    char e164[24];
} cpn_analysis;

/// `text` as dialled from `region` (an ISO 3166 code, or "ZZ" when the text must start with +).
void cpn_analyse(const char *text, const char *region, cpn_analysis *out);

/// An example number of `type` for `region`, in national and international formats; false when
/// the region is unknown or has none of that type.
bool cpn_example(const char *region, cpn_type type, char *national, size_t national_capacity,
                 char *international, size_t international_capacity);

/// The calling code of `region` (44 for "GB"), 0 when unknown.
int cpn_calling_code(const char *region);

/// Every region with metadata, sorted and comma-separated; the length written (without the
/// terminating zero), or the length needed when `capacity` is too small.
size_t cpn_supported_regions(char *out, size_t capacity);

/// The region of an IANA zone by ICU's data ("GB" for Europe/London); false for a zone of no
/// country (Etc/UTC) or an unknown one.
bool cpn_zone_region(const char *zone, char *region, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
