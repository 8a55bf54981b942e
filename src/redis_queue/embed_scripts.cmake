# Turns scripts/*.lua into a C++ source of raw string literals, each script prefixed with
# scripts/common.lua, so the scripts stay readable and reviewable as Lua.
# Run as: cmake -DSCRIPT_DIR=<dir> -DOUTPUT=<file.cc> -DNAMES=put,head,... -P embed_scripts.cmake
file(READ "${SCRIPT_DIR}/common.lua" common)
set(out "// Generated from src/redis_queue/scripts/*.lua by embed_scripts.cmake. Do not edit.\n")
string(APPEND out "#include \"redis_queue/scripts.h\"\n\nnamespace stalk::redis_queue::scripts {\n\n")
string(REPLACE "," ";" names "${NAMES}")
foreach(name IN LISTS names)
  file(READ "${SCRIPT_DIR}/${name}.lua" body)
  # put -> kPut, reserve_job -> kReserveJob
  string(REPLACE "_" ";" words "${name}")
  set(cname "k")
  foreach(w IN LISTS words)
    string(SUBSTRING "${w}" 0 1 first)
    string(SUBSTRING "${w}" 1 -1 rest)
    string(TOUPPER "${first}" first)
    string(APPEND cname "${first}${rest}")
  endforeach()
  string(APPEND out "const char* const ${cname} = R\"stalklua(${common}${body})stalklua\";\n\n")
endforeach()
string(APPEND out "}  // namespace stalk::redis_queue::scripts\n")
file(WRITE "${OUTPUT}.tmp" "${out}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
