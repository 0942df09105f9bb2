// Cue API body templates of a target profile (http_target.h, TargetProfile::Cue::body).
//
// A placeholder is `{name}` or `{name|default}` with name in [a-z_]+; the default is used when
// the value is empty (a scenario cue without a pod id: `{pod_id|house-pod}`). Anything else in
// braces, such as a JSON object's `{"`, is literal text. In a JSON body (json_strings) the values
// are escaped as JSON string content, since the template puts them between its own quotes.
#ifndef SSAI_CONFORMANCE_CUE_TEMPLATE_H_
#define SSAI_CONFORMANCE_CUE_TEMPLATE_H_

#include <map>
#include <string>
#include <string_view>

#include "reference/base/status.h"

namespace ssai::conformance {

// The names a cue body may use: org channel duration pod_id pod_id_field now_iso now_epoch_s
// now_epoch_ms. An unknown name is an error naming it (a typo would otherwise be sent as text).
Status CheckCueTemplate(std::string_view tmpl);

// Fills every placeholder from `values` (names missing from it are empty). pod_id_field and
// duration and now_epoch_* are inserted as given (JSON fragments / numbers).
std::string FillCueTemplate(std::string_view tmpl, const std::map<std::string, std::string>& values, bool json_strings);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_CUE_TEMPLATE_H_
