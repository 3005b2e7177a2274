# Warnings for every target of ours; -Werror when MM_WERROR is on (CI turns it on).
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(MM_WERROR)
  add_compile_options(-Werror)
endif()
