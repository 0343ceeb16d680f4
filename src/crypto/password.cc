#include "crypto/password.h"

#include <argon2.h>
#include <sodium.h>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace strongroom::crypto {
namespace {

void InitSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no safe way to continue without a working crypto library
}

Gate& Hashes() {
  static Gate gate;
  return gate;
}

// The parameters, salt and hash of an encoded Argon2id hash, read strictly: exactly the form
// HashPassword writes, "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>" (unpadded
// base64). Anything else is nullopt.
struct Encoded {
  uint32_t memory_kib = 0;
  uint32_t passes = 0;
  uint32_t lanes = 0;
  std::array<uint8_t, 64> salt{};
  size_t salt_size = 0;
  std::array<uint8_t, 64> hash{};
  size_t hash_size = 0;
};

// Reads "<name><digits>" from the front of `s` into `out`: no sign, no leading zero, and within
// [low, high].
bool ReadNumber(std::string_view& s, std::string_view name, uint32_t low, uint32_t high,
                uint32_t& out) {
  if (!s.starts_with(name)) return false;
  s.remove_prefix(name.size());
  if (s.empty() || s[0] == '0') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || out < low || out > high) return false;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return true;
}

// Decodes unpadded base64 `text` into `out`, whose size it sets: [min, out's capacity] bytes.
bool ReadBase64(std::string_view text, size_t min, std::array<uint8_t, 64>& out, size_t& size) {
  const char* end = nullptr;
  if (text.empty() ||
      sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &size, &end,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return false;
  }
  return size >= min;
}

// The most memory a stored hash may ask a verification for: far above what any configuration
// sets (HashPassword's callers use tens of MiB), low enough that no hash can exhaust the host.
constexpr uint32_t kMaxMemoryKib = 4 * 1024 * 1024;  // 4 GiB
constexpr uint32_t kMaxPasses = 1000;
constexpr uint32_t kMaxLanes = 64;
constexpr size_t kBlockBytes = 1024;  // Argon2's block

std::optional<Encoded> Decode(std::string_view s) {
  Encoded e;
  uint32_t version = 0;
  if (!s.starts_with("$argon2id$")) return std::nullopt;
  s.remove_prefix(10);
  if (!ReadNumber(s, "v=", ARGON2_VERSION_13, ARGON2_VERSION_13, version) ||
      !ReadNumber(s, "$m=", ARGON2_MIN_MEMORY, kMaxMemoryKib, e.memory_kib) ||
      !ReadNumber(s, ",t=", ARGON2_MIN_TIME, kMaxPasses, e.passes) ||
      !ReadNumber(s, ",p=", ARGON2_MIN_LANES, kMaxLanes, e.lanes) || e.memory_kib < 8 * e.lanes ||
      !s.starts_with('$')) {
    return std::nullopt;
  }
  s.remove_prefix(1);
  const size_t dollar = s.find('$');
  if (dollar == std::string_view::npos ||
      !ReadBase64(s.substr(0, dollar), ARGON2_MIN_SALT_LENGTH, e.salt, e.salt_size) ||
      !ReadBase64(s.substr(dollar + 1), 16, e.hash, e.hash_size)) {
    return std::nullopt;
  }
  return e;
}

// Argon2id's working memory, kept from one verification to the next. Mapping a fresh 19 MiB for
// each one (as libsodium does) costs a page fault for every 4 KiB of it and a TLB shootdown across
// the process's threads when it goes; on a virtual machine that was most of a sign-in's CPU.
// One area per verification running at once (bounded by HashGate()), each out of core dumps and
// out of child processes, and wiped by libargon2 after every use.
class Area {
 public:
  explicit Area(size_t bytes) : size_(bytes) {
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      size_ = 0;
      return;
    }
    data_ = static_cast<uint8_t*>(p);
    (void)::madvise(p, size_, MADV_DONTDUMP);
    (void)::madvise(p, size_, MADV_DONTFORK);
  }
  ~Area() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  Area(const Area&) = delete;
  Area& operator=(const Area&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_;
};

class Areas {
 public:
  // An area of at least `bytes`, this caller's until Give; nullptr if none could be mapped.
  std::unique_ptr<Area> Take(size_t bytes) {
    {
      std::lock_guard lock(mu_);
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if ((*it)->size() >= bytes) {
          auto area = std::move(*it);
          free_.erase(it);
          return area;
        }
      }
    }
    auto area = std::make_unique<Area>(bytes);
    if (area->data() == nullptr) return nullptr;
    mapped_.fetch_add(1, std::memory_order_relaxed);
    return area;
  }
  void Give(std::unique_ptr<Area> area) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(area));
  }
  size_t Mapped() const { return mapped_.load(std::memory_order_relaxed); }

 private:
  std::atomic<size_t> mapped_{0};
  std::mutex mu_;
  std::vector<std::unique_ptr<Area>> free_;
};

Areas& WorkingMemory() {
  static Areas areas;
  return areas;
}

// libargon2's allocator takes no argument of its own: the area this thread's computation uses.
thread_local Area* lent = nullptr;

int LendArea(uint8_t** memory, size_t bytes) {
  if (lent == nullptr || bytes > lent->size()) return ARGON2_MEMORY_ALLOCATION_ERROR;
  *memory = lent->data();
  return ARGON2_OK;
}

void KeepArea(uint8_t*, size_t) {}  // libargon2 has wiped it; it goes back to WorkingMemory()

}  // namespace

void LimitConcurrentHashes(int n) { Hashes().SetLimit(n); }

const Gate& HashGate() { return Hashes(); }

Result<std::string> HashPassword(std::string_view password, const Argon2Params& params) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  const Gate::Pass pass(Hashes());
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.passes,
                            params.memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(ErrorCode::kResourceExhausted, "password hashing ran out of memory");
  }
  return std::string(out);
}

namespace {
std::atomic<uint64_t> verifications{0};
}  // namespace

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  InitSodium();
  if (encoded.size() >= crypto_pwhash_STRBYTES) return false;
  const auto e = Decode(encoded);
  if (!e || password.size() > ARGON2_MAX_PWD_LENGTH) return false;
  verifications.fetch_add(1, std::memory_order_relaxed);
  const Gate::Pass pass(Hashes());
  auto area = WorkingMemory().Take(size_t{e->memory_kib} * kBlockBytes);
  if (area == nullptr) return false;
  std::array<uint8_t, 64> computed{};
  argon2_context c{};
  c.out = computed.data();
  c.outlen = static_cast<uint32_t>(e->hash_size);
  // Read only: ARGON2_FLAG_CLEAR_PASSWORD is not set.
  c.pwd = reinterpret_cast<uint8_t*>(const_cast<char*>(password.data()));
  c.pwdlen = static_cast<uint32_t>(password.size());
  c.salt = const_cast<uint8_t*>(e->salt.data());
  c.saltlen = static_cast<uint32_t>(e->salt_size);
  c.t_cost = e->passes;
  c.m_cost = e->memory_kib;
  c.lanes = e->lanes;
  c.threads = 1;
  c.version = ARGON2_VERSION_13;
  c.allocate_cbk = LendArea;
  c.free_cbk = KeepArea;
  c.flags = ARGON2_DEFAULT_FLAGS;
  lent = area.get();
  const int rc = argon2id_ctx(&c);
  lent = nullptr;
  WorkingMemory().Give(std::move(area));
  const bool same =
      rc == ARGON2_OK && sodium_memcmp(computed.data(), e->hash.data(), e->hash_size) == 0;
  sodium_memzero(computed.data(), computed.size());
  return same;
}

uint64_t ArgonVerifications() { return verifications.load(std::memory_order_relaxed); }

size_t ArgonAreas() { return WorkingMemory().Mapped(); }

bool NeedsRehash(std::string_view encoded, const Argon2Params& params) {
  InitSodium();
  if (encoded.size() >= crypto_pwhash_STRBYTES) return true;
  char buf[crypto_pwhash_STRBYTES] = {};
  encoded.copy(buf, encoded.size());
  return crypto_pwhash_str_needs_rehash(buf, params.passes, params.memory_bytes) != 0;
}

}  // namespace strongroom::crypto
