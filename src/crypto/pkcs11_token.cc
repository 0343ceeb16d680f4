#include "crypto/pkcs11_token.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <optional>
#include <vector>

#include "crypto/random.h"

// p11-kit's header, in its own names (its default defines lowercase macros such as `value`).
#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

namespace strongroom::crypto {
namespace {

constexpr size_t kIvBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr unsigned long kKeyBytes = 32;
constexpr size_t kMaxSecretBytes = 1024;
constexpr unsigned char kTrue = 1;
constexpr unsigned char kFalse = 0;

// What a return value means, for the message (never with a secret in it).
std::string Named(ck_rv_t rv) {
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return "the PIN is wrong";
    case CKR_PIN_LOCKED:
      return "the PIN is locked";
    case CKR_TOKEN_NOT_PRESENT:
      return "the token is not present";
    case CKR_DEVICE_REMOVED:
      return "the token was removed";
    case CKR_DEVICE_ERROR:
      return "the token reports a device error";
    case CKR_MECHANISM_INVALID:
      return "the token does not offer AES-GCM";
    default:
      return fmt::format("PKCS#11 error 0x{:x}", rv);
  }
}

// AES-GCM with a 12-byte IV (`iv_bits` set too: some tokens read it), `aad` and a 16-byte tag.
// Holds pointers to `iv` and `aad`, which must outlive it.
struct Gcm {
  Gcm(uint8_t* iv, std::span<const uint8_t> aad)
      : params{iv,         kIvBytes,     kIvBytes * 8, const_cast<uint8_t*>(aad.data()),
               aad.size(), kTagBytes * 8},
        mechanism{CKM_AES_GCM, &params, sizeof params} {}
  Gcm(const Gcm&) = delete;
  Gcm& operator=(const Gcm&) = delete;
  struct ck_gcm_params params;
  struct ck_mechanism mechanism;
};

// A token's label: 32 bytes, padded with spaces.
std::string LabelOf(const unsigned char (&label)[32]) {
  std::string out(reinterpret_cast<const char*>(label), sizeof label);
  out.erase(out.find_last_not_of(' ') + 1);
  return out;
}

}  // namespace

struct Pkcs11Token::Module {
  void* library = nullptr;
  struct ck_function_list* f = nullptr;
  bool initialized = false;
  ck_session_handle_t session = 0;
  bool open = false;

  ~Module() {
    if (open) {
      (void)f->C_Logout(session);
      (void)f->C_CloseSession(session);
    }
    if (initialized) (void)f->C_Finalize(nullptr);
    if (library != nullptr) dlclose(library);
  }
};

Pkcs11Token::Pkcs11Token(std::unique_ptr<Module> module) : module_(std::move(module)) {}
Pkcs11Token::~Pkcs11Token() = default;

Result<std::unique_ptr<Pkcs11Token>> Pkcs11Token::Open(const Pkcs11Options& options) {
  auto m = std::make_unique<Module>();
  const auto module = options.module.string();
  m->library = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (m->library == nullptr) {
    const char* why = dlerror();
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the PKCS#11 module {} cannot be loaded: {}", module,
                            why != nullptr ? why : "unknown"));
  }
  using GetList = ck_rv_t (*)(struct ck_function_list**);
  auto get_list = reinterpret_cast<GetList>(dlsym(m->library, "C_GetFunctionList"));
  if (get_list == nullptr || get_list(&m->f) != CKR_OK || m->f == nullptr) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("{} is not a PKCS#11 module (no C_GetFunctionList)", module));
  }
  struct ck_c_initialize_args init {};
  init.flags = CKF_OS_LOCKING_OK;
  if (const auto rv = m->f->C_Initialize(&init); rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the PKCS#11 module {} is already open in this process", module));
  } else if (rv != CKR_OK) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the PKCS#11 module {} cannot start: {}", module, Named(rv)));
  }
  m->initialized = true;

  // (Slots may come between asking how many and asking which: asked again then.)
  std::vector<ck_slot_id_t> slots;
  ck_rv_t listed = CKR_BUFFER_TOO_SMALL;
  for (int attempt = 0; attempt < 4 && listed == CKR_BUFFER_TOO_SMALL; ++attempt) {
    unsigned long count = 0;
    listed = m->f->C_GetSlotList(kTrue, nullptr, &count);
    if (listed != CKR_OK) break;
    slots.resize(count);
    if (count == 0) break;
    listed = m->f->C_GetSlotList(kTrue, slots.data(), &count);
    if (listed == CKR_OK) slots.resize(count);
  }
  if (listed != CKR_OK) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the PKCS#11 module {} lists no slots: {}", module, Named(listed)));
  }
  std::optional<ck_slot_id_t> slot;
  std::vector<std::string> present;
  for (const auto s : slots) {
    struct ck_token_info info {};
    if (m->f->C_GetTokenInfo(s, &info) != CKR_OK) continue;
    const auto label = LabelOf(info.label);
    if (!(info.flags & CKF_TOKEN_INITIALIZED)) continue;
    if (label == options.token_label) {
      if (slot) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("two PKCS#11 tokens are labelled \"{}\": give the master key's "
                                "its own label",
                                options.token_label));
      }
      slot = s;
    }
    present.push_back("\"" + label + "\"");
  }
  if (!slot) {
    std::string tokens;
    for (const auto& p : present) tokens += (tokens.empty() ? "" : ", ") + p;
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("no PKCS#11 token labelled \"{}\" in {} (tokens present: {})",
                            options.token_label, module, tokens.empty() ? "none" : tokens));
  }
  if (const auto rv = m->f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                                          nullptr, &m->session);
      rv != CKR_OK) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the PKCS#11 token \"{}\" opens no session: {}", options.token_label,
                            Named(rv)));
  }
  m->open = true;
  if (options.pin.empty()) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("cannot log in to the PKCS#11 token \"{}\": the PIN is empty",
                            options.token_label));
  }
  // (A PIN is bytes; the token reads it and keeps nothing of ours.)
  auto* pin = const_cast<unsigned char*>(options.pin.view().data());
  if (const auto rv = m->f->C_Login(m->session, CKU_USER, pin, options.pin.size());
      rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("cannot log in to the PKCS#11 token \"{}\": {}", options.token_label,
                            Named(rv)));
  }
  return std::unique_ptr<Pkcs11Token>(new Pkcs11Token(std::move(m)));
}

Result<unsigned long> Pkcs11Token::FindKey(std::span<const uint8_t> id) {
  if (id.empty()) return Fail(ErrorCode::kInvalidArgument, "a PKCS#11 key id is never empty");
  auto* f = module_->f;
  const auto session = module_->session;
  ck_object_class_t cls = CKO_SECRET_KEY;
  ck_key_type_t type = CKK_AES;
  unsigned char on_token = kTrue;
  struct ck_attribute find[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &on_token, sizeof on_token},
      {CKA_ID, const_cast<uint8_t*>(id.data()), id.size()},
  };
  if (const auto rv = f->C_FindObjectsInit(session, find, sizeof find / sizeof find[0]);
      rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot search: " + Named(rv));
  }
  ck_object_handle_t found[2] = {};
  unsigned long n = 0;
  const auto rv = f->C_FindObjects(session, found, 2, &n);
  (void)f->C_FindObjectsFinal(session);
  if (rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot search: " + Named(rv));
  }
  if (n == 0) return Fail(ErrorCode::kNotFound, "no key with that id in the PKCS#11 token");
  if (n > 1) {
    return Fail(ErrorCode::kFailedPrecondition, "two keys share that id in the PKCS#11 token");
  }
  return found[0];
}

Result<void> Pkcs11Token::GenerateKey(std::span<const uint8_t> id) {
  std::lock_guard lock(mu_);
  if (auto existing = FindKey(id); existing) {
    return Fail(ErrorCode::kAlreadyExists, "a key with that id is already in the PKCS#11 token");
  } else if (existing.error().code != ErrorCode::kNotFound) {
    return std::unexpected(existing.error());
  }
  ck_object_class_t cls = CKO_SECRET_KEY;
  ck_key_type_t type = CKK_AES;
  unsigned long length = kKeyBytes;
  unsigned char yes = kTrue;
  unsigned char no = kFalse;
  std::string label(kPendingLabel);
  struct ck_attribute tmpl[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &length, sizeof length},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_ENCRYPT, &yes, sizeof yes},
      {CKA_DECRYPT, &yes, sizeof yes},
      {CKA_WRAP, &no, sizeof no},
      {CKA_UNWRAP, &no, sizeof no},
      {CKA_SIGN, &no, sizeof no},
      {CKA_VERIFY, &no, sizeof no},
      {CKA_DERIVE, &no, sizeof no},
      {CKA_LABEL, label.data(), label.size()},
      {CKA_ID, const_cast<uint8_t*>(id.data()), id.size()},
  };
  struct ck_mechanism mech {
    CKM_AES_KEY_GEN, nullptr, 0
  };
  ck_object_handle_t key = 0;
  if (const auto rv = module_->f->C_GenerateKey(module_->session, &mech, tmpl,
                                                sizeof tmpl / sizeof tmpl[0], &key);
      rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot make a key: " + Named(rv));
  }
  return {};
}

Result<void> Pkcs11Token::CheckKey(std::span<const uint8_t> id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(UsableKey(id));
  return {};
}

Result<unsigned long> Pkcs11Token::UsableKey(std::span<const uint8_t> id) {
  ASSIGN_OR_RETURN(const auto key, FindKey(id));
  unsigned char sensitive = 0, extractable = 1, never_extractable = 0, always_sensitive = 0,
                local = 0, is_private = 0;
  ck_key_type_t type = 0;
  unsigned long length = 0;
  struct ck_attribute get[] = {
      {CKA_SENSITIVE, &sensitive, 1},
      {CKA_EXTRACTABLE, &extractable, 1},
      {CKA_NEVER_EXTRACTABLE, &never_extractable, 1},
      {CKA_ALWAYS_SENSITIVE, &always_sensitive, 1},
      {CKA_LOCAL, &local, 1},
      {CKA_PRIVATE, &is_private, 1},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &length, sizeof length},
  };
  if (const auto rv =
          module_->f->C_GetAttributeValue(module_->session, key, get, sizeof get / sizeof get[0]);
      rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable,
                "the PKCS#11 token does not say what the key is: " + Named(rv));
  }
  if (type != CKK_AES || length != kKeyBytes) {
    return Fail(ErrorCode::kFailedPrecondition, "the PKCS#11 key is not an AES-256 key");
  }
  if (!sensitive || extractable || !never_extractable || !always_sensitive || !local ||
      !is_private) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the PKCS#11 key could leave the token, or be used without its PIN (it must be "
                "made there, private, sensitive and never extractable): make one with "
                "`strongroom keys` instead");
  }
  return key;
}

Result<void> Pkcs11Token::Promote(std::span<const uint8_t> id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const auto key, FindKey(id));
  std::string label(kMasterLabel);
  struct ck_attribute set[] = {{CKA_LABEL, label.data(), label.size()}};
  if (const auto rv = module_->f->C_SetAttributeValue(module_->session, key, set, 1);
      rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot label the key: " + Named(rv));
  }
  return {};
}

Result<void> Pkcs11Token::DiscardPending(std::span<const uint8_t> id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const auto key, FindKey(id));
  char label[64] = {};
  struct ck_attribute get[] = {{CKA_LABEL, label, sizeof label}};
  if (const auto rv = module_->f->C_GetAttributeValue(module_->session, key, get, 1);
      rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable,
                "the PKCS#11 token does not say what the key is: " + Named(rv));
  }
  if (std::string_view(label, get[0].value_len) != kPendingLabel) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the PKCS#11 key is in use or was made elsewhere: it is not removed");
  }
  if (const auto rv = module_->f->C_DestroyObject(module_->session, key); rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot remove the key: " + Named(rv));
  }
  return {};
}

Result<Bytes> Pkcs11Token::Seal(std::span<const uint8_t> id, const Secret& secret,
                                std::span<const uint8_t> aad) {
  if (aad.empty()) return Fail(ErrorCode::kInvalidArgument, "a sealed secret needs its context");
  // (An empty input would leave the token's operation open: refused before it starts.)
  if (secret.empty() || secret.size() > kMaxSecretBytes) {
    return Fail(ErrorCode::kInvalidArgument, "a sealed secret is 1 to 1024 bytes");
  }
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const auto key, UsableKey(id));
  Bytes out(kIvBytes + secret.size() + kTagBytes);
  DefaultRandom().Fill(std::span(out).first(kIvBytes));
  Gcm gcm(out.data(), aad);
  auto* f = module_->f;
  if (const auto rv = f->C_EncryptInit(module_->session, &gcm.mechanism, key); rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot encrypt: " + Named(rv));
  }
  unsigned long written = secret.size() + kTagBytes;
  if (const auto rv = f->C_Encrypt(module_->session, const_cast<uint8_t*>(secret.view().data()),
                                   secret.size(), out.data() + kIvBytes, &written);
      rv != CKR_OK || written != secret.size() + kTagBytes) {
    return Fail(ErrorCode::kUnavailable,
                rv != CKR_OK ? "the PKCS#11 token cannot encrypt: " + Named(rv)
                             : "the PKCS#11 token encrypted to an unexpected length");
  }
  return out;
}

Result<Secret> Pkcs11Token::Unseal(std::span<const uint8_t> id, std::span<const uint8_t> sealed,
                                   std::span<const uint8_t> aad) {
  if (aad.empty()) return Fail(ErrorCode::kInvalidArgument, "a sealed secret needs its context");
  if (sealed.size() <= kIvBytes + kTagBytes ||
      sealed.size() > kIvBytes + kMaxSecretBytes + kTagBytes) {
    return Fail(ErrorCode::kDataLoss, "a sealed secret is not as long as one is");
  }
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const auto key, UsableKey(id));
  Bytes iv(sealed.begin(), sealed.begin() + kIvBytes);
  Gcm gcm(iv.data(), aad);
  auto* f = module_->f;
  if (const auto rv = f->C_DecryptInit(module_->session, &gcm.mechanism, key); rv != CKR_OK) {
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot decrypt: " + Named(rv));
  }
  const auto body = sealed.subspan(kIvBytes);
  Secret out(body.size());  // the plaintext is shorter by the tag
  unsigned long written = out.size();
  if (const auto rv = f->C_Decrypt(module_->session, const_cast<uint8_t*>(body.data()), body.size(),
                                   out.mutable_view().data(), &written);
      rv != CKR_OK || written != body.size() - kTagBytes) {
    // A wrong tag, as tokens answer it (SoftHSM2 with CKR_GENERAL_ERROR); anything else is the
    // token's trouble, not the data's.
    if (rv == CKR_OK || rv == CKR_GENERAL_ERROR || rv == CKR_ENCRYPTED_DATA_INVALID ||
        rv == CKR_ENCRYPTED_DATA_LEN_RANGE) {
      return Fail(ErrorCode::kDataLoss,
                  "a sealed secret does not open with the PKCS#11 key in its context");
    }
    return Fail(ErrorCode::kUnavailable, "the PKCS#11 token cannot decrypt: " + Named(rv));
  }
  return Secret(out.view().first(written));
}

}  // namespace strongroom::crypto
