#include "crypto/aead.h"

#include <openssl/evp.h>

#include <memory>

namespace strongroom::crypto {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx NewCtx() { return CipherCtx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free); }

int Len(size_t n) { return static_cast<int>(n); }

// Fetched once: OpenSSL 3 looks a cipher named by EVP_aes_256_gcm() up in its provider store on
// every initialisation (a lock and a hash lookup per message). The fetched object is immutable and
// may be shared by threads.
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

Result<void> Init(EVP_CIPHER_CTX* ctx, bool encrypt, std::span<const uint8_t> key,
                  std::span<const uint8_t> iv) {
  if (key.size() != kAeadKeySize)
    return Fail(ErrorCode::kInternal, "AES-256-GCM needs a 32-byte key");
  if (iv.empty()) return Fail(ErrorCode::kInternal, "AES-GCM needs a non-empty IV");
  const int enc = encrypt ? 1 : 0;
  if (Aes256Gcm() == nullptr) return Fail(ErrorCode::kInternal, "AES-256-GCM is unavailable");
  if (EVP_CipherInit_ex(ctx, Aes256Gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Len(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx, nullptr, nullptr, key.data(), iv.data(), enc) != 1) {
    return Fail(ErrorCode::kInternal, "AES-GCM initialisation failed");
  }
  return {};
}

}  // namespace

Result<GcmOutput> GcmEncrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                             std::span<const uint8_t> plaintext, std::span<const uint8_t> aad) {
  auto ctx = NewCtx();
  if (!ctx) return Fail(ErrorCode::kInternal, "out of memory");
  RETURN_IF_ERROR(Init(ctx.get(), true, key, iv));
  GcmOutput out;
  out.ciphertext.resize(plaintext.size());
  out.tag.resize(kAeadTagSize);
  int n = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), Len(aad.size())) != 1) {
    return Fail(ErrorCode::kInternal, "AES-GCM failed");
  }
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out.ciphertext.data(), &n,
                                              plaintext.data(), Len(plaintext.size())) != 1) {
    return Fail(ErrorCode::kInternal, "AES-GCM failed");
  }
  // GCM is a stream: Update gave every byte, and Final gives none. (`n` may still count the
  // associated data, so it must not place Final's output.)
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.ciphertext.data() + out.ciphertext.size(), &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, Len(kAeadTagSize), out.tag.data()) !=
          1) {
    return Fail(ErrorCode::kInternal, "AES-GCM failed");
  }
  return out;
}

Result<Bytes> GcmDecrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                         std::span<const uint8_t> ciphertext, std::span<const uint8_t> aad,
                         std::span<const uint8_t> tag) {
  if (tag.size() != kAeadTagSize) return Fail(ErrorCode::kDataLoss, "ciphertext is damaged");
  auto ctx = NewCtx();
  if (!ctx) return Fail(ErrorCode::kInternal, "out of memory");
  RETURN_IF_ERROR(Init(ctx.get(), false, key, iv));
  Bytes plain(ciphertext.size());
  int n = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &n, aad.data(), Len(aad.size())) != 1) {
    return Fail(ErrorCode::kInternal, "AES-GCM failed");
  }
  if (!ciphertext.empty() && EVP_DecryptUpdate(ctx.get(), plain.data(), &n, ciphertext.data(),
                                               Len(ciphertext.size())) != 1) {
    return Fail(ErrorCode::kInternal, "AES-GCM failed");
  }
  Bytes tag_copy(tag.begin(), tag.end());
  int tail = 0;  // as in GcmEncrypt
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, Len(tag_copy.size()), tag_copy.data()) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + plain.size(), &tail) != 1) {
    SecureWipe(plain);
    return Fail(ErrorCode::kDataLoss, "ciphertext failed its integrity check");
  }
  return plain;
}

Result<Bytes> Seal(const Secret& key, std::span<const uint8_t> plaintext,
                   std::span<const uint8_t> aad, Random& random) {
  uint8_t nonce[kAeadNonceSize];
  random.Fill(nonce);
  ASSIGN_OR_RETURN(auto out, GcmEncrypt(key.view(), nonce, plaintext, aad));
  Bytes sealed;
  sealed.reserve(kAeadOverhead + plaintext.size());
  sealed.insert(sealed.end(), nonce, nonce + kAeadNonceSize);
  sealed.insert(sealed.end(), out.ciphertext.begin(), out.ciphertext.end());
  sealed.insert(sealed.end(), out.tag.begin(), out.tag.end());
  return sealed;
}

Result<Bytes> Open(const Secret& key, std::span<const uint8_t> sealed,
                   std::span<const uint8_t> aad) {
  if (sealed.size() < kAeadOverhead) return Fail(ErrorCode::kDataLoss, "ciphertext is truncated");
  const auto nonce = sealed.first(kAeadNonceSize);
  const auto tag = sealed.last(kAeadTagSize);
  const auto body = sealed.subspan(kAeadNonceSize, sealed.size() - kAeadOverhead);
  return GcmDecrypt(key.view(), nonce, body, aad, tag);
}

}  // namespace strongroom::crypto
