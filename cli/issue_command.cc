// `keyward issue`: sign a CSR with a Keyward CA, store its record and signed
// OCSP responses, and publish, so every responder answers "good" at once.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <openssl/pem.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "shared/pki/cert_issuer.h"

namespace keyward::cli {
namespace {

struct IssueOptions {
  std::string config;
  std::string ca;
  std::string csr;
  std::string out;
  int days = 0;
  std::string subject;
  std::vector<std::string> uri_sans;
  std::vector<std::string> dns_sans;
  std::vector<std::string> ekus;
};

openssl::X509ReqPtr ReadCsr(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandError("cannot read CSR " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string bytes = buf.str();
  openssl::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  openssl::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
    req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(bytes.size())));
  }
  openssl::DrainErrors();
  if (!req) throw CommandError(path + " is not a PEM or DER certificate request");
  return req;
}

void WritePem(X509* cert, const std::string& path) {
  openssl::BioPtr bio(BIO_new_file(path.c_str(), "w"));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    openssl::DrainErrors();
    throw CommandError("cannot write " + path);
  }
}

void RunIssue(const IssueOptions& opt) {
  Context ctx = LoadContext(opt.config, pki::KeyUse::kIssuing, NeedStore::kYes);
  const config::CaConfig& ca_cfg = CaConfigOrThrow(ctx.cfg, opt.ca);
  if (!ca_cfg.issues()) {
    throw CommandError("CA '" + opt.ca +
                       "' has no key in the config; Keyward cannot issue from it");
  }
  const pki::CaMaterial& ca = ctx.Ca(opt.ca);
  openssl::X509ReqPtr csr = ReadCsr(opt.csr);
  pki::IssueProfile profile;
  profile.days = opt.days > 0 ? opt.days : ca_cfg.default_days;
  profile.subject = opt.subject;
  profile.extra_uri_sans = opt.uri_sans;
  profile.extra_dns_sans = opt.dns_sans;
  if (!opt.ekus.empty()) profile.ekus = opt.ekus;
  int64_t now = NowSeconds();
  Result<pki::IssuedCert> issued = pki::Issue(ca, csr.get(), profile, ca_cfg.ocsp_url, now);
  if (!issued) throw CommandError("cannot issue: " + issued.error());
  issued->record.device_id = pki::DeviceIdOf(issued->cert.get(), ca_cfg.device_id);
  // Publish before handing out the certificate, so no responder ever says
  // "unknown" for a certificate that exists.
  Result<uint64_t> gen = ctx.publisher->Publish(issued->record, now);
  if (!gen) throw CommandError("issued but not stored (certificate not written): " + gen.error());
  WritePem(issued->cert.get(), opt.out);
  std::cout << "issued serial " << issued->record.serial_hex << " to " << issued->record.subject
            << ", valid until " << FormatTime(issued->record.not_after) << ", written to "
            << opt.out << "\n";
}

}  // namespace

void AddIssueCommand(CLI::App& app) {
  auto opt = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "issue",
      "Sign a CSR with a Keyward CA, store its record and signed OCSP responses, and publish "
      "them so every responder answers good at once.");
  cmd->add_option("--config", opt->config, "Keyward TOML config")->required();
  cmd->add_option("--ca", opt->ca, "CA name ([[ca]] name)")->required();
  cmd->add_option("--csr", opt->csr, "Certificate request, PEM or DER")->required();
  cmd->add_option("--out", opt->out, "Where to write the certificate (PEM)")->required();
  cmd->add_option("--days", opt->days, "Validity in days (default: the CA's default_days)");
  cmd->add_option("--subject", opt->subject, "Force this subject (\"CN=x,O=y\")");
  cmd->add_option("--san-uri", opt->uri_sans, "Add a URI SAN (e.g. urn:device:ID)");
  cmd->add_option("--san-dns", opt->dns_sans, "Add a DNS SAN");
  cmd->add_option("--eku", opt->ekus, "Extended key usage (default clientAuth)");
  cmd->callback([opt] { RunIssue(*opt); });
}

}  // namespace keyward::cli
