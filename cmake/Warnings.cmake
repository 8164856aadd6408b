# Warnings: -Wall -Wextra -Werror plus the picky ones that find real bugs.
function(ami_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror
    -Wshadow -Wformat=2 -Wvla -Wpointer-arith -Wundef
    -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
    -Wimplicit-fallthrough -Wcast-align -Wwrite-strings)
endfunction()
