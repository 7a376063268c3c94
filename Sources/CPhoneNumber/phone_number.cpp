#include "phone_number.h"

#include <cstring>
#include <set>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// The C enums copy libphonenumber's; these fail the build if a new version reorders them.
static_assert(CPN_TOO_LONG_NSN == static_cast<int>(PhoneNumberUtil::TOO_LONG_NSN));
static_assert(CPN_TOO_LONG == static_cast<int>(PhoneNumberUtil::TOO_LONG));
static_assert(CPN_INVALID_LENGTH == static_cast<int>(PhoneNumberUtil::INVALID_LENGTH));
static_assert(CPN_VOICEMAIL == static_cast<int>(PhoneNumberUtil::VOICEMAIL));
static_assert(CPN_UNKNOWN == static_cast<int>(PhoneNumberUtil::UNKNOWN));

static void copy(const std::string &text, char *out, size_t capacity) {
    if (capacity == 0) return;
    size_t length = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(out, text.data(), length);
    out[length] = '\0';
}

void cpn_analyse(const char *text, const char *region, cpn_analysis *out) {
    const PhoneNumberUtil &util = *PhoneNumberUtil::GetInstance();
    std::memset(out, 0, sizeof *out);
    PhoneNumber number;
    out->parse_error = static_cast<cpn_parse_error>(util.Parse(text, region, &number));
    if (out->parse_error != CPN_PARSED) return;
    out->possibility = static_cast<cpn_possibility>(util.IsPossibleNumberWithReason(number));
    out->valid = util.IsValidNumber(number);
    out->has_extension = number.has_extension() && !number.extension().empty();
    out->type = static_cast<cpn_type>(util.GetNumberType(number));
    out->country_code = number.country_code();
    std::string country_region;
    util.GetRegionCodeForCountryCode(number.country_code(), &country_region);
    copy(country_region, out->country_region, sizeof out->country_region);
    std::string e164;
    util.Format(number, PhoneNumberUtil::E164, &e164);
    copy(e164, out->e164, sizeof out->e164);
}

bool cpn_example(const char *region, cpn_type type, char *national, size_t national_capacity,
                 char *international, size_t international_capacity) {
    const PhoneNumberUtil &util = *PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    if (!util.GetExampleNumberForType(region, static_cast<PhoneNumberUtil::PhoneNumberType>(type), &number)) return false;
    std::string formatted;
    util.Format(number, PhoneNumberUtil::NATIONAL, &formatted);
    copy(formatted, national, national_capacity);
    util.Format(number, PhoneNumberUtil::INTERNATIONAL, &formatted);
    copy(formatted, international, international_capacity);
    return true;
}

int cpn_calling_code(const char *region) {
    return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(region);
}

size_t cpn_supported_regions(char *out, size_t capacity) {
    std::set<std::string> regions;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
    std::string joined;
    for (const std::string &region : regions) {
        if (!joined.empty()) joined += ',';
        joined += region;
    }
    if (joined.size() < capacity) copy(joined, out, capacity);
    return joined.size();
}

bool cpn_zone_region(const char *zone, char *region, size_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    char found[8] = {0};
    icu::TimeZone::getRegion(icu::UnicodeString::fromUTF8(zone), found, sizeof found, status);
    // ICU answers "001" (the world) for zones of no country such as Etc/UTC.
    if (U_FAILURE(status) || std::strlen(found) != 2) return false;
    copy(found, region, capacity);
    return true;
}
