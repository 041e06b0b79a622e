// SignerCertsTail and CacheEntry's shared tail, with responses really signed
// by a delegated signer: the cache keeps the signer certificate once, and
// every answer it serves is still byte for byte what the signer produced.
#include "responder/shared_tail.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "responder/cache_entry.h"
#include "shared/der/reader.h"
#include "shared/ocsp/response_signer.h"
#include "tests/shared/ocsp/response_checks.h"

namespace keyward::responder {
namespace {

using ocsp::check::kWindow;

class SharedTailTest : public ocsp::check::ResponseSignerTest {
 protected:
  store::StoredResponse Sign(ocsp::HashAlg alg) {
    ocsp::ResponseSigner signer(pki_.ca());
    Result<store::StoredResponse> r = signer.SignPrecomputed(leaf_.record, alg, kWindow);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : store::StoredResponse{};
  }
  CacheKey Key(ocsp::HashAlg alg) {
    CacheKey key;
    EXPECT_TRUE(MakeKeyFromHex(0, alg, leaf_.record.serial_hex, &key));
    return key;
  }
};

TEST_F(SharedTailTest, IsTheCertsFieldOfTheSignersResponses) {
  std::string tail = SignerCertsTail(pki_.ca().signer_cert.get());
  ASSERT_FALSE(tail.empty());
  // [0] { SEQUENCE { Certificate } }, nothing after it.
  der::Reader r(der::Bytes(reinterpret_cast<const uint8_t*>(tail.data()), tail.size()));
  der::Reader explicit_certs, certs;
  ASSERT_TRUE(r.ReadConstructed(der::tag::kContextConstructed | 0, &explicit_certs));
  EXPECT_TRUE(r.empty());
  ASSERT_TRUE(explicit_certs.ReadSequence(&certs));
  EXPECT_TRUE(explicit_certs.empty());
  der::Reader cert;
  ASSERT_TRUE(certs.ReadSequence(&cert));
  EXPECT_TRUE(certs.empty());
  // Both variants end with it.
  for (ocsp::HashAlg alg : {ocsp::HashAlg::kSha1, ocsp::HashAlg::kSha256}) {
    std::string der = Sign(alg).der;
    ASSERT_GT(der.size(), tail.size());
    EXPECT_EQ(der.substr(der.size() - tail.size()), tail);
  }
  EXPECT_TRUE(SignerCertsTail(nullptr).empty());
}

TEST_F(SharedTailTest, EntryKeepsOnlyTheHeadAndServesEveryByte) {
  std::string tail = SignerCertsTail(pki_.ca().signer_cert.get());
  store::StoredResponse r = Sign(ocsp::HashAlg::kSha256);
  EntryPtr whole =
      CacheEntry::Create(Key(ocsp::HashAlg::kSha256), r, EntryKind::kPrecomputed, r.next_update);
  EntryPtr shared = CacheEntry::Create(Key(ocsp::HashAlg::kSha256), r, EntryKind::kPrecomputed,
                                       r.next_update, tail);
  ASSERT_TRUE(whole && shared);
  EXPECT_EQ(whole->DerString(), r.der);
  EXPECT_EQ(shared->DerString(), r.der);
  EXPECT_EQ(shared->der_size(), r.der.size());
  EXPECT_EQ(shared->tail().size(), tail.size());
  EXPECT_EQ(shared->tail().data(), reinterpret_cast<const uint8_t*>(tail.data()));  // not a copy
  EXPECT_EQ(whole->footprint() - shared->footprint(), tail.size());
  EXPECT_EQ(shared->etag(), whole->etag());  // over the whole answer
  std::vector<uint8_t> out = {'x'};
  shared->AppendDer(out);
  EXPECT_EQ(std::string(out.begin() + 1, out.end()), r.der);
}

TEST_F(SharedTailTest, AnswersThatDoNotEndWithTheTailAreKeptWhole) {
  store::StoredResponse r = Sign(ocsp::HashAlg::kSha1);
  std::string tail = SignerCertsTail(pki_.ca().signer_cert.get());
  std::string other = tail;
  other.back() ^= 1;  // another signer's certificate
  for (const std::string& t : {other, r.der, r.der + "x", std::string()}) {
    EntryPtr e =
        CacheEntry::Create(Key(ocsp::HashAlg::kSha1), r, EntryKind::kPrecomputed, r.next_update, t);
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->tail().empty());
    EXPECT_EQ(e->head().size(), r.der.size());
    EXPECT_EQ(e->DerString(), r.der);
  }
}

}  // namespace
}  // namespace keyward::responder
