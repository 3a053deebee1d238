# ais_warnings(target): the project's warning set, PRIVATE so generated
# protobuf-c code and system headers are left alone.
function(ais_warnings tgt)
	target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wshadow
		-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla)
	if(AIS_WERROR)
		target_compile_options(${tgt} PRIVATE -Werror)
	endif()
endfunction()

# ais_library(NAME DIR) builds a static library from every .c file under DIR
# (globbed with CONFIGURE_DEPENDS, so adding a file needs no CMake edit).
function(ais_library name dir)
	file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.c)
	if(NOT srcs)
		# A room with no sources yet still yields a linkable library.
		set(srcs ${PROJECT_SOURCE_DIR}/cmake/empty.c)
	endif()
	add_library(${name} STATIC ${srcs})
	target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
	ais_warnings(${name})
endfunction()

# ais_unit_tests(ROOM LIBS...): one cmocka executable per tests/unit/ROOM/test_*.c,
# registered with ctest under the label "unit" and a timeout.
function(ais_unit_tests room)
	file(GLOB tests CONFIGURE_DEPENDS
		${PROJECT_SOURCE_DIR}/tests/unit/${room}/test_*.c)
	foreach(src ${tests})
		get_filename_component(base ${src} NAME_WE)
		set(exe unit_${room}_${base})
		add_executable(${exe} ${src})
		target_link_libraries(${exe} PRIVATE ${ARGN} PkgConfig::CMOCKA)
		ais_warnings(${exe})
		add_test(NAME ${exe} COMMAND ${exe})
		set_tests_properties(${exe} PROPERTIES LABELS unit TIMEOUT 60
			ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
	endforeach()
endfunction()
