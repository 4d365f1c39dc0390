// CRC-32C (Castagnoli, the iSCSI/ext4/RocksDB checksum) of a block's bytes.
// Debian 12's abseil (20220623) predates absl/crc and libxxhash-dev is not a
// build dependency, so the checksum is computed here: SSE4.2's crc32
// instruction where the processor has it, a table otherwise; both give the
// same value (RFC 3720 B.4: Crc32c("123456789") == 0xE3069283).
#ifndef QILIAN_PLATFORM_TSDB_CODEC_CRC32C_H_
#define QILIAN_PLATFORM_TSDB_CODEC_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace qilian::platform::tsdb {

uint32_t Crc32c(std::string_view data);
// The table version alone, for tests comparing both paths.
uint32_t Crc32cPortable(std::string_view data);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_CODEC_CRC32C_H_
