// Streaming zstd around a ByteSink / ByteSource: constant memory whatever the
// value's size. Frames carry zstd's own content checksum as well, so a damaged
// frame is reported by zstd even before baton's payload checksum is compared.
#include <baton/byte_stream.h>

#include <zstd.h>

#include <memory>
#include <string>
#include <vector>

namespace baton {

namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

class ZstdSink final : public ByteSink {
 public:
  ZstdSink(ByteSink& inner, int level) : inner_(inner), ctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
    ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_checksumFlag, 1);
  }

  Status write(const void* data, std::size_t size) override {
    if (!failed_.ok()) return failed_;
    ZSTD_inBuffer in{data, size, 0};
    while (in.pos < in.size) {
      if (Status s = step(&in, ZSTD_e_continue); !s.ok()) return s;
    }
    return Status();
  }

  Status flush() override {
    if (!failed_.ok()) return failed_;
    if (ended_) return Status();
    ZSTD_inBuffer in{nullptr, 0, 0};
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const std::size_t left = ZSTD_compressStream2(ctx_.get(), &out, &in, ZSTD_e_end);
      if (ZSTD_isError(left)) return fail(left);
      if (out.pos > 0) {
        if (Status s = inner_.write(out_.data(), out.pos); !s.ok()) return failed_ = s;
      }
      if (left == 0) break;
    }
    ended_ = true;
    return Status();
  }

 private:
  Status step(ZSTD_inBuffer* in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const std::size_t r = ZSTD_compressStream2(ctx_.get(), &out, in, mode);
    if (ZSTD_isError(r)) return fail(r);
    if (out.pos > 0) {
      if (Status s = inner_.write(out_.data(), out.pos); !s.ok()) return failed_ = s;
    }
    return Status();
  }
  Status fail(std::size_t code) {
    return failed_ = Status::error(std::string("zstd compression failed: ") + ZSTD_getErrorName(code));
  }

  ByteSink& inner_;
  std::unique_ptr<ZSTD_CCtx, CCtxFree> ctx_;
  std::vector<char> out_;
  Status failed_;
  bool ended_ = false;
};

class ZstdSource final : public ByteSource {
 public:
  explicit ZstdSource(ByteSource& inner) : inner_(inner), ctx_(ZSTD_createDCtx()), in_(ZSTD_DStreamInSize()) {}

  Result<std::size_t> read(void* data, std::size_t size) override {
    if (!failed_.ok()) return failed_;
    if (size == 0) return std::size_t{0};
    ZSTD_outBuffer out{data, size, 0};
    while (out.pos == 0) {
      if (in_pos_ == in_len_ && !eof_) {
        Result<std::size_t> n = inner_.read(in_.data(), in_.size());
        if (!n.ok()) return failed_ = n.status();
        in_pos_ = 0;
        in_len_ = *n;
        eof_ = in_len_ == 0;
      }
      ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
      const std::size_t r = ZSTD_decompressStream(ctx_.get(), &out, &in);
      const bool progressed = in.pos > in_pos_ || out.pos > 0;
      consumed_ += in.pos - in_pos_;
      in_pos_ = in.pos;
      if (ZSTD_isError(r)) {
        return failed_ = Status::error(std::string("zstd stream damaged near compressed offset ") +
                                       std::to_string(consumed_) + ": " + ZSTD_getErrorName(r));
      }
      if (progressed) frame_done_ = r == 0;
      if (out.pos == 0 && eof_ && in_pos_ == in_len_) {
        if (!frame_done_) {
          return failed_ = Status::error("zstd stream truncated at compressed offset " + std::to_string(consumed_));
        }
        return std::size_t{0};
      }
    }
    return out.pos;
  }

 private:
  ByteSource& inner_;
  std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx_;
  std::vector<char> in_;
  std::size_t in_pos_ = 0, in_len_ = 0;
  std::uint64_t consumed_ = 0;
  bool eof_ = false;
  bool frame_done_ = false;
  Status failed_;
};

}  // namespace

std::unique_ptr<ByteSink> make_zstd_sink(ByteSink& inner, int level) { return std::make_unique<ZstdSink>(inner, level); }
std::unique_ptr<ByteSource> make_zstd_source(ByteSource& inner) { return std::make_unique<ZstdSource>(inner); }

}  // namespace baton
