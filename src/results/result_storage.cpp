// The default implementations of ResultStorage's composite operations.
#include <baton/result_storage.h>

namespace baton {

Status ResultStorage::commit_with_metadata(PayloadWriter& payload, std::string_view key, std::string_view record) {
  if (Status s = payload.commit(); !s.ok()) return s;
  return put_metadata(key, record);
}

Result<std::shared_ptr<const ResultRecord>> ResultStorage::get_record(std::string_view key) {
  Result<std::optional<std::string>> text = get_metadata(key);
  if (!text.ok()) return text.status();
  if (!*text) return std::shared_ptr<const ResultRecord>();
  Result<ResultRecord> r = decode_record(**text, key);
  if (!r.ok()) return r.status();
  return std::shared_ptr<const ResultRecord>(std::make_shared<ResultRecord>(std::move(*r)));
}

}  // namespace baton
