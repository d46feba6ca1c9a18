// gzip (RFC 1952) through zlib, as Java's GZIPOutputStream/GZIPInputStream.

#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/format/codecs.h"

namespace rill::format::internal {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper.

absl::Status ZlibError(const char* what, int code, const z_stream& zs) {
  return absl::DataLossError(absl::StrCat(
      "gzip ", what, " failed (zlib ", code, zs.msg ? absl::StrCat(": ", zs.msg) : "",
      ") at compressed byte ", zs.total_in));
}

}  // namespace

absl::Status CompressGzip(int level, ByteSpan input, ByteBuffer* out) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: deflateInit2 failed");
  }
  size_t bound = deflateBound(&zs, input.size());
  size_t start = out->size();
  uint8_t* dst = out->Extend(bound);
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = dst;
  zs.avail_out = static_cast<uInt>(bound);
  int rc = deflate(&zs, Z_FINISH);
  size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return ZlibError("compression", rc, zs);
  out->resize(start + written);
  return absl::OkStatus();
}

absl::Status DecompressGzip(ByteSpan input, size_t max_output, ByteBuffer* out) {
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) {
    return absl::InternalError("gzip: inflateInit2 failed");
  }
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  absl::Status status;
  while (true) {
    if (out->size() > max_output) {
      status = DecompressedTooLarge("gzip", max_output);
      break;
    }
    if (out->size() == out->capacity()) {
      // One byte past the cap tells "exactly max_output" from "more".
      out->reserve(std::min(max_output + 1,
                            std::max<size_t>(out->size() * 2, input.size() * 4 + 1024)));
    }
    size_t room = OutputRoom(*out, max_output);
    zs.next_out = out->data() + out->size();
    zs.avail_out = static_cast<uInt>(std::min<size_t>(room, UINT32_MAX));
    int rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(out->size() + (room - zs.avail_out));
    if (out->size() > max_output) {
      status = DecompressedTooLarge("gzip", max_output);
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // GZIPInputStream reads concatenated members; so do we.
      if (inflateReset(&zs) != Z_OK) {
        status = ZlibError("reset", rc, zs);
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_out != 0) {
      status = absl::DataLossError(absl::StrCat(
          "gzip stream is truncated after ", zs.total_in, " compressed bytes"));
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = ZlibError("decompression", rc, zs);
      break;
    }
  }
  inflateEnd(&zs);
  return status;
}

}  // namespace rill::format::internal
