// `qilian product starters|list|get|create|model|set-model|delete`:
// products and their versioned thing models through qiliand's
// /api/products and /api/starter-products (docs/products.md), in the
// manner of `qilian enterprise`. File reading, bodies and tables are in
// product_args; this file holds the flags, the requests and the exit codes.
#ifndef QILIAN_CLI_PRODUCT_H_
#define QILIAN_CLI_PRODUCT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "cli/product_args.h"

namespace CLI {
class App;
}  // namespace CLI

namespace qilian::cli {

class RestClient;

class ProductCommand {
 public:
  // Adds the "product" subcommand group to `app`.
  explicit ProductCommand(CLI::App* app);

  // Whether the command line chose `product`.
  bool parsed() const;

  // Runs the chosen subcommand; `json` prints the server's replies as they
  // are. Returns the process exit code (cli/exit_code.h). Files named on
  // the command line are read first: an unreadable or non-JSON one is exit
  // 2 with nothing sent.
  int Run(RestClient& client, bool json) const;

 private:
  CLI::App* group_ = nullptr;
  CLI::App* starters_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* model_ = nullptr;
  CLI::App* set_model_ = nullptr;
  CLI::App* delete_ = nullptr;

  ProductCreateArgs create_args_;
  std::string id_;  // get, model, set-model, delete
  std::string model_file_;  // set-model
  std::optional<uint64_t> enterprise_, page_, page_size_, version_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_PRODUCT_H_
