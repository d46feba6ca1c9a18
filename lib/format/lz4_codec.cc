// LZ4 frames exactly as Kafka's Lz4BlockOutputStream writes them: version 01,
// independent blocks, no block or content checksum, no content size
// (FLG 0x60), 64 KiB maximum block (BD 0x40), with the header checksum
// computed correctly (the legacy magic-0 quirk does not apply to v2).
// Kafka's level 1 selects the fast compressor and higher levels LZ4HC;
// liblz4's frame API maps levels the same way.

#include <lz4frame.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "lib/format/codecs.h"

namespace rill::format::internal {
namespace {

struct CctxDeleter {
  void operator()(LZ4F_cctx* c) const { LZ4F_freeCompressionContext(c); }
};
struct DctxDeleter {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

LZ4F_cctx* ThreadCompressionContext() {
  thread_local std::unique_ptr<LZ4F_cctx, CctxDeleter> ctx = [] {
    LZ4F_cctx* c = nullptr;
    LZ4F_createCompressionContext(&c, LZ4F_VERSION);
    return std::unique_ptr<LZ4F_cctx, CctxDeleter>(c);
  }();
  return ctx.get();
}

LZ4F_dctx* ThreadDecompressionContext() {
  thread_local std::unique_ptr<LZ4F_dctx, DctxDeleter> ctx = [] {
    LZ4F_dctx* d = nullptr;
    LZ4F_createDecompressionContext(&d, LZ4F_VERSION);
    return std::unique_ptr<LZ4F_dctx, DctxDeleter>(d);
  }();
  return ctx.get();
}

LZ4F_preferences_t KafkaFramePreferences(int level) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  prefs.frameInfo.frameType = LZ4F_frame;
  prefs.frameInfo.contentSize = 0;
  prefs.compressionLevel = level;
  return prefs;
}

absl::Status Lz4Error(const char* what, size_t code, size_t at) {
  return absl::DataLossError(absl::StrCat("lz4 ", what, " failed at compressed byte ",
                                          at, ": ", LZ4F_getErrorName(code)));
}

}  // namespace

absl::Status CompressLz4(int level, ByteSpan input, ByteBuffer* out) {
  LZ4F_cctx* ctx = ThreadCompressionContext();
  if (ctx == nullptr) return absl::ResourceExhaustedError("lz4: no compression context");
  LZ4F_preferences_t prefs = KafkaFramePreferences(level);
  size_t start = out->size();
  size_t bound = LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(input.size(), &prefs);
  uint8_t* dst = out->Extend(bound);
  size_t pos = 0;
  size_t rc = LZ4F_compressBegin(ctx, dst, bound, &prefs);
  if (LZ4F_isError(rc)) return Lz4Error("compression", rc, 0);
  pos += rc;
  rc = LZ4F_compressUpdate(ctx, dst + pos, bound - pos, input.data(), input.size(), nullptr);
  if (LZ4F_isError(rc)) return Lz4Error("compression", rc, 0);
  pos += rc;
  rc = LZ4F_compressEnd(ctx, dst + pos, bound - pos, nullptr);
  if (LZ4F_isError(rc)) return Lz4Error("compression", rc, 0);
  pos += rc;
  out->resize(start + pos);
  return absl::OkStatus();
}

absl::Status DecompressLz4(ByteSpan input, size_t max_output, ByteBuffer* out) {
  LZ4F_dctx* ctx = ThreadDecompressionContext();
  if (ctx == nullptr) return absl::ResourceExhaustedError("lz4: no decompression context");
  LZ4F_resetDecompressionContext(ctx);
  size_t in_pos = 0;
  size_t hint = 1;
  while (in_pos < input.size()) {
    if (out->size() > max_output) return DecompressedTooLarge("lz4", max_output);
    if (out->size() == out->capacity()) {
      out->reserve(std::min(max_output + 1,
                            std::max<size_t>(out->size() * 2, input.size() * 3 + 1024)));
    }
    size_t dst_size = OutputRoom(*out, max_output);
    size_t src_size = input.size() - in_pos;
    hint = LZ4F_decompress(ctx, out->data() + out->size(), &dst_size,
                           input.data() + in_pos, &src_size, nullptr);
    if (LZ4F_isError(hint)) {
      LZ4F_resetDecompressionContext(ctx);
      return Lz4Error("decompression", hint, in_pos);
    }
    in_pos += src_size;
    out->resize(out->size() + dst_size);
    if (src_size == 0 && dst_size == 0 && out->size() < out->capacity()) {
      return absl::DataLossError(absl::StrCat("lz4 frame stalled at compressed byte ", in_pos));
    }
  }
  // Flush what the context may still hold for a complete frame.
  while (hint != 0) {
    if (out->size() > max_output) return DecompressedTooLarge("lz4", max_output);
    if (out->size() == out->capacity()) out->reserve(std::min(max_output + 1, out->size() * 2 + 1024));
    size_t dst_size = OutputRoom(*out, max_output);
    size_t src_size = 0;
    hint = LZ4F_decompress(ctx, out->data() + out->size(), &dst_size, nullptr, &src_size, nullptr);
    if (LZ4F_isError(hint)) {
      LZ4F_resetDecompressionContext(ctx);
      return Lz4Error("decompression", hint, in_pos);
    }
    out->resize(out->size() + dst_size);
    if (dst_size == 0) {
      LZ4F_resetDecompressionContext(ctx);
      return absl::DataLossError(absl::StrCat(
          "lz4 frame is truncated: input ends at byte ", input.size(),
          " before the end mark"));
    }
  }
  if (out->size() > max_output) return DecompressedTooLarge("lz4", max_output);
  return absl::OkStatus();
}

}  // namespace rill::format::internal
