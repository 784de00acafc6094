# Warnings for every target of ours: -Wall -Wextra, and -Werror unless Q2I_WERROR is OFF.
add_compile_options(-Wall -Wextra)
if(Q2I_WERROR)
  add_compile_options(-Werror)
endif()
