// Issue 11: the one client that loads every time-series target with the
// same batches (bench/tsdb-bench, docs/benchmarks.md "Time series").
//
//   lp_load --url http://127.0.0.1:8428/write?db=bench&precision=ms
//           --file day.lp [--batch 10000] [--connections 4] [--gzip no]
//           [--header "Authorization: Basic ..."]
//
// Cuts a line-protocol file into batches of --batch lines (cut once, before
// the clock starts), then POSTs them over --connections keep-alive HTTP/1.1
// connections in parallel, each connection taking the next unsent batch.
// Loopback only (127.0.0.0/8). Any answer but 2xx stops the run with the
// answer printed. Prints one JSON line: lines, points (fields), batches,
// seconds, points_per_s, lines_per_s, MB_per_s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "lp_load: %s\n", why.c_str());
  std::exit(1);
}

struct Url {
  std::string host;
  int port = 80;
  std::string target;  // path and query
};

Url ParseUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) Die("only http:// URLs: " + url);
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  Url u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  u.host = hostport.substr(0, colon);
  if (colon != std::string::npos) u.port = std::atoi(hostport.c_str() + colon + 1);
  if (u.host == "localhost") u.host = "127.0.0.1";
  in_addr a{};
  if (inet_pton(AF_INET, u.host.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
    Die("loopback (127.0.0.0/8) only: " + u.host);
  }
  return u;
}

int Connect(const Url& u) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(u.port));
  inet_pton(AF_INET, u.host.c_str(), &sa.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    Die("cannot connect to " + u.host + ":" + std::to_string(u.port));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) Die("send failed (connection closed by the server?)");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// Reads one HTTP response; returns its status and body. Content-Length and
// chunked bodies; a response with neither (204, 304) has none.
int ReadResponse(int fd, std::string& buf, std::string* body) {
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[8192];
    ssize_t r = recv(fd, tmp, sizeof tmp, 0);
    if (r <= 0) Die("connection closed before a response");
    buf.append(tmp, static_cast<size_t>(r));
  }
  std::string head = buf.substr(0, header_end);
  buf.erase(0, header_end + 4);
  int status = std::atoi(head.c_str() + head.find(' ') + 1);
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto fill = [&](size_t need) {
    while (buf.size() < need) {
      char tmp[8192];
      ssize_t r = recv(fd, tmp, sizeof tmp, 0);
      if (r <= 0) Die("connection closed in a response body");
      buf.append(tmp, static_cast<size_t>(r));
    }
  };
  body->clear();
  size_t cl = lower.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    size_t n = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
    fill(n);
    body->assign(buf, 0, n);
    buf.erase(0, n);
  } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    for (;;) {
      size_t eol;
      while ((eol = buf.find("\r\n")) == std::string::npos) fill(buf.size() + 1);
      size_t n = std::strtoull(buf.c_str(), nullptr, 16);
      buf.erase(0, eol + 2);
      fill(n + 2);
      body->append(buf, 0, n);
      buf.erase(0, n + 2);
      if (n == 0) break;
    }
  }
  return status;
}

struct Batch {
  const char* data;
  size_t size;
  int64_t lines;
  int64_t points;
};

}  // namespace

int main(int argc, char** argv) {
  std::string url, file;
  int64_t batch_lines = 10000;
  int connections = 4;
  std::string extra_headers;  // "Name: value\r\n" each (credentials)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--url") url = next();
    else if (a == "--file") file = next();
    else if (a == "--batch") batch_lines = std::atoll(next().c_str());
    else if (a == "--connections") connections = std::atoi(next().c_str());
    else if (a == "--header") extra_headers += next() + "\r\n";
    else Die("unknown argument " + a +
             "\nusage: lp_load --url URL --file FILE [--batch 10000] [--connections 4] [--header H]");
  }
  if (url.empty() || file.empty() || batch_lines <= 0 || connections <= 0) {
    Die("usage: lp_load --url URL --file FILE [--batch 10000] [--connections 4]");
  }
  const Url u = ParseUrl(url);

  int fd = open(file.c_str(), O_RDONLY);
  if (fd < 0) Die("cannot open " + file);
  struct stat st{};
  fstat(fd, &st);
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) Die("empty file " + file);
  const char* data =
      static_cast<const char*>(mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0));
  if (data == MAP_FAILED) Die("mmap failed");

  // Cut into batches; count points (fields: the commas after the first
  // unescaped space, plus one; the generator's lines have no escapes).
  std::vector<Batch> batches;
  int64_t total_lines = 0, total_points = 0;
  {
    size_t pos = 0;
    Batch b{data, 0, 0, 0};
    while (pos < size) {
      const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
      size_t end = nl ? static_cast<size_t>(nl - data) + 1 : size;
      std::string_view line(data + pos, end - pos);
      size_t sp = line.find(' ');
      if (sp != std::string_view::npos) {
        size_t sp2 = line.find(' ', sp + 1);
        int64_t fields = 1;
        for (size_t k = sp + 1; k < sp2 && k < line.size(); ++k) fields += line[k] == ',';
        b.points += fields;
        ++b.lines;
      }
      pos = end;
      if (b.lines == batch_lines || pos >= size) {
        b.size = static_cast<size_t>(data + pos - b.data);
        total_lines += b.lines;
        total_points += b.points;
        batches.push_back(b);
        b = Batch{data + pos, 0, 0, 0};
      }
    }
  }

  std::atomic<size_t> next_batch{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      int s = Connect(u);
      std::string buf, body;
      for (;;) {
        size_t i = next_batch.fetch_add(1);
        if (i >= batches.size()) break;
        const Batch& b = batches[i];
        std::string head = "POST " + u.target + " HTTP/1.1\r\nHost: " + u.host + ":" +
                           std::to_string(u.port) +
                           "\r\n" + extra_headers +
                           "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                           std::to_string(b.size) + "\r\n\r\n";
        SendAll(s, head.data(), head.size());
        SendAll(s, b.data, b.size);
        int status = ReadResponse(s, buf, &body);
        if (status < 200 || status > 299) {
          Die("batch " + std::to_string(i) + ": HTTP " + std::to_string(status) + ": " +
              body.substr(0, 2000));
        }
      }
      close(s);
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"lines\": %lld, \"points\": %lld, \"batches\": %zu, \"batch_lines\": %lld, "
      "\"connections\": %d, \"seconds\": %.3f, \"points_per_s\": %.0f, \"lines_per_s\": %.0f, "
      "\"MB_per_s\": %.1f}\n",
      static_cast<long long>(total_lines), static_cast<long long>(total_points), batches.size(),
      static_cast<long long>(batch_lines), connections, secs, total_points / secs,
      total_lines / secs, size / secs / 1e6);
  return 0;
}
