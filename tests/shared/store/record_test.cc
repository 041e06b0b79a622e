#include "shared/store/record.h"

#include <gtest/gtest.h>

#include "shared/store/record_fields.h"

namespace keyward::store {
namespace {

StoredResponse Sample() {
  StoredResponse r;
  r.status = ocsp::CertStatus::kRevoked;
  r.reason = ocsp::RevocationReason::kCertificateHold;
  r.revoked_at = 1'700'000'000;
  r.this_update = -5;  // negative values survive the two's complement trip
  r.next_update = 0x0102030405060708;
  r.der = std::string("\x30\x00\x01\x00\xff", 5);
  return r;
}

TEST(SourceTest, NamesRoundTrip) {
  for (Source s : {Source::kKeyward, Source::kIndex, Source::kCrl, Source::kDirectory}) {
    EXPECT_EQ(SourceFromName(SourceName(s)), s) << SourceName(s);
  }
  EXPECT_EQ(SourceName(Source::kIndex), "index");
  EXPECT_EQ(SourceFromName("Index"), std::nullopt);
  EXPECT_EQ(SourceFromName(""), std::nullopt);
}

TEST(ResponseBlobTest, LayoutIsTheDocumentedOne) {
  std::string blob = EncodeResponseBlob(Sample());
  ASSERT_EQ(blob.size(), kResponseBlobHeader + 5);
  EXPECT_EQ(blob[0], 1);  // version
  EXPECT_EQ(blob[1], 1);  // revoked
  EXPECT_EQ(blob[2], 6);  // certificateHold
  // revoked_at big-endian at offset 3.
  EXPECT_EQ(blob.substr(3, 8), std::string("\x00\x00\x00\x00\x65\x53\xf1\x00", 8));
  EXPECT_EQ(blob.substr(11, 8), std::string(7, '\xff') + "\xfb");
  EXPECT_EQ(blob.substr(19, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(blob.substr(27), std::string("\x30\x00\x01\x00\xff", 5));
}

TEST(ResponseBlobTest, RoundTripsBinaryDer) {
  StoredResponse in = Sample();
  std::optional<StoredResponse> out = DecodeResponseBlob(EncodeResponseBlob(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, in.status);
  EXPECT_EQ(out->reason, in.reason);
  EXPECT_EQ(out->revoked_at, in.revoked_at);
  EXPECT_EQ(out->this_update, in.this_update);
  EXPECT_EQ(out->next_update, in.next_update);
  EXPECT_EQ(out->der, in.der);
}

TEST(ResponseBlobTest, RejectsBadBlobs) {
  const std::string good = EncodeResponseBlob(Sample());
  struct Case {
    const char* name;
    std::string blob;
  };
  std::string bad_version = good;
  bad_version[0] = 2;
  std::string bad_status = good;
  bad_status[1] = 3;
  std::string bad_reason = good;
  bad_reason[2] = 7;  // unassigned in RFC 5280
  const Case cases[] = {
      {"empty", ""},
      {"one_byte", good.substr(0, 1)},
      {"header_minus_one", good.substr(0, kResponseBlobHeader - 1)},
      {"version_0", std::string(1, '\0') + good.substr(1)},
      {"version_2", bad_version},
      {"status_3", bad_status},
      {"reason_7", bad_reason},
  };
  for (const Case& c : cases) EXPECT_FALSE(DecodeResponseBlob(c.blob)) << c.name;
  // The header alone is a (useless but well-formed) blob with empty DER.
  std::optional<StoredResponse> header_only =
      DecodeResponseBlob(good.substr(0, kResponseBlobHeader));
  ASSERT_TRUE(header_only);
  EXPECT_TRUE(header_only->der.empty());
}

TEST(RecordFieldsTest, RoundTripsEveryField) {
  CertRecord rec;
  rec.ca = "demo";
  rec.serial_hex = "01AB";
  rec.status = ocsp::CertStatus::kRevoked;
  rec.revoked_at = 1;
  rec.reason = ocsp::RevocationReason::kKeyCompromise;
  rec.not_before = 2;
  rec.not_after = 3;
  rec.subject = "CN=a,O=b";
  rec.device_id = "urn:device:1";
  rec.source = Source::kCrl;
  rec.updated_at = 4;
  auto fields = RecordToFields(rec);
  ASSERT_EQ(fields.size(), 11u);
  std::vector<std::pair<std::string_view, std::string_view>> views(fields.begin(), fields.end());
  Result<CertRecord> back = RecordFromFields(views, "k");
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->ca, rec.ca);
  EXPECT_EQ(back->serial_hex, rec.serial_hex);
  EXPECT_EQ(back->status, rec.status);
  EXPECT_EQ(back->revoked_at, 1);
  EXPECT_EQ(back->reason, rec.reason);
  EXPECT_EQ(back->not_before, 2);
  EXPECT_EQ(back->not_after, 3);
  EXPECT_EQ(back->subject, rec.subject);
  EXPECT_EQ(back->device_id, rec.device_id);
  EXPECT_EQ(back->source, Source::kCrl);
  EXPECT_EQ(back->updated_at, 4);
}

TEST(RecordFieldsTest, NoReasonIsAnEmptyField) {
  CertRecord rec;
  rec.ca = "demo";
  rec.serial_hex = "01";
  auto fields = RecordToFields(rec);
  std::vector<std::pair<std::string_view, std::string_view>> views(fields.begin(), fields.end());
  Result<CertRecord> back = RecordFromFields(views, "k");
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->reason, ocsp::RevocationReason::kNone);
  EXPECT_EQ(back->status, ocsp::CertStatus::kGood);
}

TEST(RecordFieldsTest, RejectsCorruptRecords) {
  using Fields = std::vector<std::pair<std::string_view, std::string_view>>;
  EXPECT_FALSE(RecordFromFields(Fields{{"ca", "demo"}, {"serial", "01"}}, "k"));  // no status
  EXPECT_FALSE(RecordFromFields(Fields{{"ca", "demo"}, {"serial", "01"}, {"status", "fine"}}, "k"));
  EXPECT_FALSE(RecordFromFields(
      Fields{{"ca", "demo"}, {"serial", "01"}, {"status", "good"}, {"not_after", "12x"}}, "k"));
  Result<CertRecord> bad = RecordFromFields(
      Fields{{"ca", "demo"}, {"serial", "01"}, {"status", "good"}, {"source", "ldap"}},
      "kw:cert:x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("kw:cert:x"), std::string::npos) << bad.error();
  // Fields a newer writer adds are ignored.
  EXPECT_TRUE(RecordFromFields(
      Fields{{"ca", "demo"}, {"serial", "01"}, {"status", "good"}, {"colour", "blue"}}, "k"));
}

}  // namespace
}  // namespace keyward::store
