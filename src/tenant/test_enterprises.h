// Tests only: enterprises registered with fixed valid data, for tests of
// what belongs to enterprises (products, devices). The n-th enterprise
// registered under parent 88.999 has id n and prefix 88.999.n.
#ifndef QILIAN_TENANT_TEST_ENTERPRISES_H_
#define QILIAN_TENANT_TEST_ENTERPRISES_H_

#include <string>

#include "gtest/gtest.h"
#include "ident/site_info.h"
#include "tenant/enterprise_registry.h"

namespace qilian::tenant {

// Options with parent prefix 88.999 and a default site.
inline EnterpriseRegistryOptions TestEnterpriseOptions() {
  EnterpriseRegistryOptions o;
  o.parent_prefix = "88.999";
  o.site = ident::BuildSiteInfo(ident::SiteOptions{});
  return o;
}

// Registers two enterprises (ids 1 and 2 on a fresh registry).
inline void RegisterTwoTestEnterprises(EnterpriseRegistry& enterprises) {
  for (const char* code : {"916201007100000135", "91620102712345672E"}) {
    EnterpriseInput in;
    in.name = "兰州泵业有限公司";
    in.credit_code = code;
    in.industry = "C3441";
    in.region = "620100";
    in.contact = {"张工", "+86 931 1234567", ""};
    EXPECT_TRUE(enterprises.Register(in).ok());
  }
}

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_TEST_ENTERPRISES_H_
