# static/static.mk (included from Makefile.am): `make static`, the fully
# static release binary, thanos-fcgi-$(VERSION)-linux-ARCH and its .sha256
# in the build directory (static/build does the work; it is in neither
# `all` nor `distcheck`).  static-build/ caches the downloaded sources and
# the static libraries: a second `make static` only relinks the program.
STATIC_WORKDIR = $(abs_top_builddir)/static-build

static:
	$(SHELL) $(top_srcdir)/static/build $(top_srcdir) $(STATIC_WORKDIR) \
		$(abs_top_builddir) $(VERSION)

# --enable-static-binary: -static for the program (pkg-config --static
# gave the libraries' own dependencies).
src_thanos_fcgi_LDFLAGS = $(AM_LDFLAGS) $(STATIC_LDFLAGS)

EXTRA_DIST += static/build
DISTCLEANFILES = thanos-fcgi-$(VERSION)-linux-*
distclean-local:
	rm -rf $(STATIC_WORKDIR)
.PHONY: static
