// zstd frames. Kafka's Java client streams without pledging a size, so its
// frames may lack the content size; ours carry it (ZSTD_compress2 writes it)
// because some readers, kafka-python among them, need it to size their output.

#include <zstd.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "lib/format/codecs.h"

namespace rill::format::internal {
namespace {

struct CctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DctxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* ThreadCompressionContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, CctxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}

ZSTD_DCtx* ThreadDecompressionContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, DctxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

absl::Status CompressZstd(int level, ByteSpan input, ByteBuffer* out) {
  ZSTD_CCtx* ctx = ThreadCompressionContext();
  if (ctx == nullptr) return absl::ResourceExhaustedError("zstd: no compression context");
  ZSTD_CCtx_reset(ctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 1);
  size_t start = out->size();
  size_t bound = ZSTD_compressBound(input.size());
  uint8_t* dst = out->Extend(bound);
  size_t rc = ZSTD_compress2(ctx, dst, bound, input.data(), input.size());
  if (ZSTD_isError(rc)) {
    out->resize(start);
    return absl::InternalError(absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(rc)));
  }
  out->resize(start + rc);
  return absl::OkStatus();
}

absl::Status DecompressZstd(ByteSpan input, size_t max_output, ByteBuffer* out) {
  ZSTD_DCtx* ctx = ThreadDecompressionContext();
  if (ctx == nullptr) return absl::ResourceExhaustedError("zstd: no decompression context");
  ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t pending = 1;  // Nonzero until a frame ends exactly at the input's end.
  while (in.pos < in.size || pending != 0) {
    if (out->size() > max_output) return DecompressedTooLarge("zstd", max_output);
    if (out->size() == out->capacity()) {
      out->reserve(std::min(max_output + 1,
                            std::max<size_t>(out->size() * 2, input.size() * 3 + 1024)));
    }
    ZSTD_outBuffer dst{out->data() + out->size(), OutputRoom(*out, max_output), 0};
    size_t before_in = in.pos;
    pending = ZSTD_decompressStream(ctx, &dst, &in);
    if (ZSTD_isError(pending)) {
      return absl::DataLossError(absl::StrCat("zstd decompression failed at compressed byte ",
                                              in.pos, ": ", ZSTD_getErrorName(pending)));
    }
    out->resize(out->size() + dst.pos);
    if (pending != 0 && in.pos == in.size && in.pos == before_in && dst.pos < dst.size) {
      return absl::DataLossError(absl::StrCat(
          "zstd frame is truncated: input ends at byte ", input.size()));
    }
  }
  if (out->size() > max_output) return DecompressedTooLarge("zstd", max_output);
  return absl::OkStatus();
}

}  // namespace rill::format::internal
