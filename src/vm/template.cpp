#include "vm/template.h"

namespace tw::vm {

const std::string* entryFile(const TemplateSource& source, std::string* path) {
  static const char* const kEntries[] = {"init.lua", "init.luau"};
  for (const char* entry : kEntries) {
    auto it = source.files.find(std::string_view(entry));
    if (it != source.files.end()) {
      if (path != nullptr) *path = it->first;
      return &it->second;
    }
  }
  return nullptr;
}

}  // namespace tw::vm
