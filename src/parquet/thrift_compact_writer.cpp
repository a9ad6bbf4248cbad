#include "parquet/thrift_compact_writer.h"


namespace baton::parquet_detail {

void ThriftCompactWriter::field_header(int16_t id, Type t) {
  int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(t)));
  } else {
    out_->push_back(static_cast<char>(t));
    varint(zigzag(id));
  }
  last_id_ = id;
}

void ThriftCompactWriter::begin_list(int16_t id, Type elem, int32_t size) {
  field_header(id, Type::List);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<int>(elem)));
  } else {
    out_->push_back(static_cast<char>(0xf0 | static_cast<int>(elem)));
    varint(static_cast<uint64_t>(size));
  }
}

void ThriftCompactWriter::end_struct() {
  out_->push_back(static_cast<char>(Type::Stop));
  if (!stack_.empty()) {
    last_id_ = stack_.back();
    stack_.pop_back();
  }
}

}  // namespace baton::parquet_detail
