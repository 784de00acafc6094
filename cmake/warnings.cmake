# Warnings for every target of ours: -Wall -Wextra, and -Werror unless Q2I_WERROR is OFF.
add_compile_options(-Wall -Wextra)
if(Q2I_WERROR)
  add_compile_options(-Werror)
endif()
# GCC 12 reports false -Wrestrict positives inside std::string concatenation (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-restrict)
endif()
