# Turns a text file into a C++ source defining `std::string_view vestibule::generated::<name>()`.
# The length comes from sizeof, not from a constexpr strlen, which compilers cap (GCC at 262144
# steps).
file(READ ${INPUT} CONTENT)
file(WRITE ${OUTPUT}.tmp
  "#include <string_view>\nnamespace vestibule::generated {\n"
  "std::string_view openapi_document() {\n  static constexpr char kText[] = R\"VESTIBULE_EMBED(${CONTENT})VESTIBULE_EMBED\";\n  return {kText, sizeof kText - 1};\n}\n}\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
