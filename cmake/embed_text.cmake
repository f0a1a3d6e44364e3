# Turns a text file into a C++ source defining `std::string_view vestibule::generated::<name>()`.
file(READ ${INPUT} CONTENT)
file(WRITE ${OUTPUT}.tmp
  "#include <string_view>\nnamespace vestibule::generated {\n"
  "std::string_view openapi_document() {\n  static constexpr std::string_view kText = R\"VESTIBULE_EMBED(${CONTENT})VESTIBULE_EMBED\";\n  return kText;\n}\n}\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
