// A flood of anonymous sign-ins, as a botnet sends them: each connection from a new loopback
// address (127.10.0.1, 127.10.0.2, ...; one /16 per thread), three wrong passwords for made-up
// usernames over it, then the next. No per-address allowance holds such a flood back; admission
// control must.
//
//   flood PORT SECONDS THREADS   prints "attempts_per_s answered_per_s 401 429 503 other failed"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int Connect(uint16_t port, const std::string& source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// One response's status, or 0 if the connection failed; `*close` if the server closes after it.
int ReadResponse(SSL* ssl, std::string& buffer, bool* close) {
  char chunk[4096];
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const int n = SSL_read(ssl, chunk, sizeof chunk);
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  const int status = std::atoi(buffer.c_str() + 9);
  size_t length = 0;
  const auto cl = buffer.find("Content-Length: ");
  if (cl != std::string::npos && cl < end)
    length = std::strtoul(buffer.c_str() + cl + 16, nullptr, 10);
  *close = buffer.find("Connection: close") < end;
  while (buffer.size() < end + 4 + length) {
    const int n = SSL_read(ssl, chunk, sizeof chunk);
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  buffer.erase(0, end + 4 + length);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: flood PORT SECONDS THREADS\n");
    return 2;
  }
  const auto port = static_cast<uint16_t>(std::atoi(argv[1]));
  const auto seconds = std::atoi(argv[2]);
  const int threads = std::atoi(argv[3]);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  std::mutex mu;
  std::map<int, long> statuses;  // 0: a connection or an answer failed
  std::atomic<long> attempts{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::map<int, long> seen;
      for (int n = 0; Clock::now() < deadline; ++n) {
        const std::string source = "127." + std::to_string(10 + t) + "." +
                                   std::to_string(n / 250 % 250) + "." +
                                   std::to_string(1 + n % 250);
        const int fd = Connect(port, source);
        SSL* ssl = fd < 0 ? nullptr : SSL_new(ctx);
        if (ssl == nullptr || (SSL_set_fd(ssl, fd), SSL_connect(ssl)) != 1) {
          ++seen[0];
          if (ssl != nullptr) SSL_free(ssl);
          if (fd >= 0) ::close(fd);
          continue;
        }
        std::string buffer;
        for (int i = 0; i < 3 && Clock::now() < deadline; ++i) {
          const std::string body = "{\"username\":\"nobody." + std::to_string(t) + "." +
                                   std::to_string(n) + "\",\"password\":\"not anyone's\"}";
          const std::string request =
              "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body;
          ++attempts;
          bool close = false;
          const int status = SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0
                                 ? ReadResponse(ssl, buffer, &close)
                                 : 0;
          ++seen[status];
          if (status == 0 || close) break;
        }
        SSL_shutdown(ssl);
        SSL_free(ssl);
        ::close(fd);
      }
      std::lock_guard lock(mu);
      for (auto [status, count] : seen) statuses[status] += count;
    });
  }
  for (auto& t : pool) t.join();
  long answered = 0, other = 0;
  for (auto [status, count] : statuses) {
    if (status != 0) answered += count;
    if (status != 0 && status != 401 && status != 429 && status != 503) other += count;
  }
  std::printf("%.1f %.1f %ld %ld %ld %ld %ld\n", static_cast<double>(attempts) / seconds,
              static_cast<double>(answered) / seconds, statuses[401], statuses[429], statuses[503],
              other, statuses[0]);
  SSL_CTX_free(ctx);
  return 0;
}
