# static/static.mk (included from Makefile.am): `make static`, the fully
# static release binary, thanos-fcgi-$(VERSION)-linux-ARCH and its .sha256
# in the build directory (static/build does the work; it is in neither
# `all` nor `distcheck`).  static-build/ caches the downloaded sources and
# the static libraries: a second `make static` only relinks the program.
STATIC_WORKDIR = $(abs_top_builddir)/static-build

static:
	$(SHELL) $(top_srcdir)/static/build $(top_srcdir) $(STATIC_WORKDIR) \
		$(abs_top_builddir) $(VERSION)

# check-static: the suites that matter for the release file run against it
# (THANOS_FCGI_BIN), the harness's shared-hosting deployment uploading
# exactly that file (THANOS_FCGI_RELEASE); logs in static-check/.
# (a .py file runs through tests/harness/run.sh, as make check runs it)
STATIC_TESTS = tests/harness/run.sh \
	tests/harness/test_tls.py tests/harness/test_static_chroot.py
check-static: static
	@rel=$(abs_top_builddir)/thanos-fcgi-$(VERSION)-linux-`uname -m`; failed=""; \
	mkdir -p static-check; \
	for t in $(STATIC_TESTS); do \
		log=static-check/`basename $$t .sh`.log; \
		case $$t in *.py) run="sh $(top_srcdir)/tests/harness/run.sh";; *) run=bash;; esac; \
		if THANOS_FCGI_BIN=$$rel THANOS_FCGI_RELEASE=$$rel top_srcdir=$(abs_top_srcdir) \
			top_builddir=$(abs_top_builddir) $$run $(top_srcdir)/$$t >$$log 2>&1; \
		then echo "PASS (static): $$t"; \
		else echo "FAIL (static): $$t (see $$log)"; tail -n 40 $$log; failed="$$failed $$t"; fi; \
	done; \
	test -z "$$failed"

# --enable-static-binary: -static for the program (pkg-config --static
# gave the libraries' own dependencies).
src_thanos_fcgi_LDFLAGS = $(AM_LDFLAGS) $(STATIC_LDFLAGS)

EXTRA_DIST += static/build
DISTCLEANFILES = thanos-fcgi-$(VERSION)-linux-*
distclean-local:
	rm -rf $(STATIC_WORKDIR) static-check
.PHONY: static check-static
