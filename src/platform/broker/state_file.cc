#include "platform/broker/state_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace qilian::broker {
namespace {

constexpr std::string_view kCount = "count ";
constexpr std::string_view kSeal = "sha256 ";

std::string Sha256Hex(std::string_view data) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    return std::string();
  }
  return EncodeHex(digest, len);
}

std::string ErrnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Splits off the next line (without its '\n'); false when `rest` holds no
// complete line.
bool NextLine(std::string_view& rest, std::string_view& line) {
  size_t end = rest.find('\n');
  if (end == std::string_view::npos) return false;
  line = rest.substr(0, end);
  rest.remove_prefix(end + 1);
  return true;
}

StateLoad Corrupt(size_t line, const std::string& what) {
  return StateLoad{StateLoad::kCorrupt, "line " + std::to_string(line) + ": " + what};
}

}  // namespace

std::string EncodeStateBody(const DeviceTable::Map& devices) {
  std::string out;
  out.reserve(64 + devices.size() * (kMaxUsernameLength / 2 + 2 * (kSaltBytes + kHashBytes) + 5));
  out += kStateMagic;
  out += '\n';
  out += kCount;
  out += std::to_string(devices.size());
  out += '\n';
  for (const auto& [username, d] : devices) {
    out += username;
    out += ' ';
    out += EncodeHex(d.salt.data(), d.salt.size());
    out += ' ';
    out += EncodeHex(d.hash.data(), d.hash.size());
    out += d.enabled ? " 1\n" : " 0\n";
  }
  return out;
}

void SealState(std::string& body) {
  std::string seal = Sha256Hex(body);
  body += kSeal;
  body += seal;
  body += '\n';
}

StateLoad DecodeState(std::string_view text, DeviceTable::Map& out) {
  out.clear();
  size_t seal_at = text.rfind(kSeal);
  if (seal_at == std::string_view::npos || (seal_at > 0 && text[seal_at - 1] != '\n')) {
    return StateLoad{StateLoad::kCorrupt, "no \"sha256\" line at the end (truncated?)"};
  }
  std::string_view seal_line = text.substr(seal_at + kSeal.size());
  std::string_view body = text.substr(0, seal_at);
  if (seal_line.size() != 2 * kHashBytes + 1 || seal_line.back() != '\n') {
    return StateLoad{StateLoad::kCorrupt, "the \"sha256\" line is not 64 hex digits and a newline"};
  }
  if (Sha256Hex(body) != seal_line.substr(0, 2 * kHashBytes)) {
    return StateLoad{StateLoad::kCorrupt, "the SHA-256 of the file does not match its sha256 line"};
  }
  std::string_view rest = body, line;
  if (!NextLine(rest, line) || line != kStateMagic) {
    return Corrupt(1, std::string("not \"") + kStateMagic + "\"");
  }
  size_t count = 0;
  if (!NextLine(rest, line) || line.substr(0, kCount.size()) != kCount) {
    return Corrupt(2, "not \"count N\"");
  }
  std::string_view digits = line.substr(kCount.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
      count > kMaxDevices) {
    return Corrupt(2, "the count is not a number of at most " + std::to_string(kMaxDevices));
  }
  DeviceTable::Map devices;
  devices.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    size_t n = i + 3;
    if (!NextLine(rest, line)) return Corrupt(n, "missing: the file holds fewer devices than its count");
    size_t a = line.find(' ');
    size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    size_t c = b == std::string_view::npos ? b : line.find(' ', b + 1);
    if (c == std::string_view::npos || line.find(' ', c + 1) != std::string_view::npos) {
      return Corrupt(n, "not \"username salt hash enabled\"");
    }
    std::string username(line.substr(0, a));
    if (!IsDeviceUsername(username)) return Corrupt(n, "not a device username");
    DeviceRecord r;
    if (!DecodeHex(line.substr(a + 1, b - a - 1), r.salt)) return Corrupt(n, "bad salt");
    if (!DecodeHex(line.substr(b + 1, c - b - 1), r.hash)) return Corrupt(n, "bad hash");
    std::string_view flag = line.substr(c + 1);
    if (flag != "0" && flag != "1") return Corrupt(n, "enabled is not 0 or 1");
    r.enabled = flag == "1";
    if (!devices.emplace(std::move(username), r).second) return Corrupt(n, "a username twice");
  }
  if (!rest.empty()) return Corrupt(count + 3, "more devices than the count says");
  out.swap(devices);
  return StateLoad{};
}

StateLoad LoadStateFile(const std::string& path, DeviceTable::Map& out) {
  out.clear();
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    return StateLoad{StateLoad::kMissing, ""};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return StateLoad{StateLoad::kUnreadable, ErrnoText("open " + path)};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return StateLoad{StateLoad::kUnreadable, "reading " + path + " failed"};
  return DecodeState(text.str(), out);
}

bool WriteFileAtomically(const std::string& path, std::string_view contents, std::string& error) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = ErrnoText("open " + tmp);
    return false;
  }
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = ErrnoText("write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    error = ErrnoText("fsync " + tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = ErrnoText("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return false;
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace qilian::broker
