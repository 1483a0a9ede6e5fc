# graph-attach: build, test and demo entry points.
#
#   make                 build build/ngx_http_graph_attach_module.so
#   make broker          build build/graph-attach-broker (the token broker)
#   make run             demo on 127.0.0.1:8080 (Ctrl-C stops it); installs
#                        only what the demo needs (tools/deps.sh demo)
#   make test            install what is missing (tools/deps.sh test: the
#                        demo's packages and the test-only clients), build,
#                        run every test
#   make deb             Debian packages of debian/ in build/deb/
#   make unit            C unit tests of the pure parsers and encoders (ASan),
#                        the module's and the broker's
#   make broker-unit     the broker's unit tests alone
#   make install-broker  the broker, its systemd unit, sysusers.d entry and
#                        example config under DESTDIR
#   make test-valgrind   the nginx suite with nginx under valgrind
#   make fuzz            libFuzzer targets for a bounded time
#   make bench-base64    GB/s of each base64 encoder on this CPU
#
# NGINX_SRC=/path builds against another nginx source tree.

NGINX_SRC   ?= /usr/share/nginx/src
BUILD       := build
NGX_BUILD   := $(BUILD)/nginx
MODULE      := $(BUILD)/ngx_http_graph_attach_module.so
MODULE_SRCS := config ngx_http_graph_attach_module.c \
               $(wildcard src/*.c src/*.h)

PURE_SRCS   := $(wildcard src/ga_*.c)
UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
UNIT_CFLAGS := -std=c99 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror \
               -Wno-unused-parameter -Isrc -It/unit \
               -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
# ga_token.c reads the JSON form of a token with cJSON, ga_random.c
# draws from OpenSSL
PURE_LIBS   := -lcjson -lcrypto

# as Debian builds the module: -O2, and no -mavx2 (ga_base64_simd.c
# chooses its instructions per function)
BENCH_CFLAGS := -std=c99 -D_DEFAULT_SOURCE -g -O2 -Wall -Wextra -Isrc
BENCH_RUNS   ?= 21

# the token broker: a daemon of its own (broker/), linked with libcurl,
# hiredis, cJSON and libcrypto; ga_token.c checks each token it writes
# the way the module will read it
BROKER       := $(BUILD)/graph-attach-broker
BROKER_SRCS  := $(wildcard broker/gab_*.c) src/ga_token.c
BROKER_HDRS  := $(wildcard broker/gab_*.h) src/ga_token.h
BROKER_LIBS  := -lcurl -lhiredis -lcjson -lcrypto
CFLAGS       ?= -g -O2
BROKER_CFLAGS := -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra \
                 -Wno-unused-parameter -Isrc -Ibroker

# what the broker's unit tests link: the parts without network or Redis
BROKER_PURE  := broker/gab_conf.c broker/gab_buf.c broker/gab_schedule.c \
                broker/gab_response.c broker/gab_value.c broker/gab_jwt.c \
                broker/gab_credential.c src/ga_token.c
BROKER_UNIT_SRCS := $(wildcard broker/t/test_*.c)
BROKER_UNIT_BINS := $(patsubst broker/t/%.c,$(BUILD)/broker-unit/%,\
                                $(BROKER_UNIT_SRCS))

DESTDIR     ?=
SBINDIR     ?= /usr/sbin
UNITDIR     ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
SYSCONFDIR  ?= /etc

PROVE       ?= prove
PROVE_FLAGS ?=

.PHONY: all deps deps-demo deps-deb test unit t run deb test-valgrind \
        fuzz bench-base64 clean broker broker-unit install-broker

all: $(MODULE)

# what the demo needs; what the tests need besides; what make deb needs
deps-demo:
	@tools/deps.sh demo

deps:
	@tools/deps.sh test

deps-deb:
	@tools/deps.sh deb

$(NGX_BUILD)/objs/Makefile: config tools/configure-nginx.sh
	tools/configure-nginx.sh "$(NGINX_SRC)" "$(NGX_BUILD)" "$(CURDIR)"

# a new file moved into place, not the loaded one written over: a running
# nginx keeps its mapping of the old one (writing in place crashes workers)
$(MODULE): $(NGX_BUILD)/objs/Makefile $(MODULE_SRCS)
	$(MAKE) -C $(NGX_BUILD) -f objs/Makefile modules
	cp $(NGX_BUILD)/objs/ngx_http_graph_attach_module.so $@.tmp
	mv -f $@.tmp $@

$(BUILD)/unit/%: t/unit/%.c $(PURE_SRCS) $(wildcard src/ga_*.h t/unit/*.h)
	@mkdir -p $(BUILD)/unit
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(PURE_SRCS) $(PURE_LIBS)

unit: $(UNIT_BINS) $(BROKER_UNIT_BINS)
	$(PROVE) $(PROVE_FLAGS) -e '' $(UNIT_BINS) $(BROKER_UNIT_BINS)

broker: $(BROKER)

$(BROKER): $(BROKER_SRCS) $(BROKER_HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CPPFLAGS) $(BROKER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@.tmp \
	    $(BROKER_SRCS) $(BROKER_LIBS)
	mv -f $@.tmp $@

$(BUILD)/broker-unit/%: broker/t/%.c $(BROKER_PURE) $(BROKER_HDRS) \
                        $(wildcard broker/t/*.h) \
                        $(wildcard t/unit/*.h)
	@mkdir -p $(BUILD)/broker-unit
	$(CC) $(UNIT_CFLAGS) -Ibroker -o $@ $< $(BROKER_PURE) -lcjson -lcrypto

broker-unit: $(BROKER_UNIT_BINS)
	$(PROVE) $(PROVE_FLAGS) -e '' $(BROKER_UNIT_BINS)

install-broker: $(BROKER)
	install -D -m 0755 $(BROKER) $(DESTDIR)$(SBINDIR)/graph-attach-broker
	install -D -m 0644 broker/graph-attach-broker.service \
	    $(DESTDIR)$(UNITDIR)/graph-attach-broker.service
	install -D -m 0644 broker/graph-attach-broker.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/graph-attach-broker.conf
	install -D -m 0644 broker/graph-attach-broker.conf.example \
	    $(DESTDIR)$(SYSCONFDIR)/graph-attach/broker.conf

t: $(MODULE) $(BROKER)
	$(PROVE) $(PROVE_FLAGS) t/

test: deps
	$(MAKE) all
	$(MAKE) broker
	$(MAKE) unit
	$(MAKE) t

test-valgrind: deps
	$(MAKE) all
	TEST_NGINX_VALGRIND=1 $(PROVE) $(PROVE_FLAGS) t/

run: deps-demo
	$(MAKE) all
	tools/run-demo.sh

# built from a scratch copy of the tree; the version is debian/changelog's
deb: deps-deb
	@tools/build-deb.sh

fuzz: deps
	$(MAKE) -C fuzz run

$(BUILD)/bench/base64: bench/base64.c src/ga_base64.c src/ga_base64_simd.c \
                       src/ga_base64.h src/ga_base64_simd.h
	@mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -o $@ bench/base64.c src/ga_base64.c \
	    src/ga_base64_simd.c

bench-base64: $(BUILD)/bench/base64
	$(BUILD)/bench/base64 $(BENCH_RUNS)

clean:
	rm -rf $(BUILD) t/servroot*
