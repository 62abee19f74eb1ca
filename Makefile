# Thin wrappers over meson: `make demo`, `make check`, `make install`.
BUILD   ?= build
ASAN    ?= build-asan
PREFIX  ?= /usr/local
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: all deps build demo check install clean busybox

all: build

deps:
	@$(SUDO) ./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) >/dev/null

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD) >/dev/null || ninja -C $(BUILD)

busybox: build
	@./scripts/busybox-image $(BUILD)/src/cli/berth

demo: build busybox
	$(BUILD)/src/cli/berth run busybox echo hello world

check: deps
	@./scripts/check

install: build
	install -D -m 0755 $(BUILD)/src/cli/berth $(DESTDIR)$(PREFIX)/bin/berth
	install -D -m 0755 $(BUILD)/src/cli/berth-proxy $(DESTDIR)$(PREFIX)/bin/berth-proxy
	install -D -m 0755 $(BUILD)/src/cli/berth-monitor $(DESTDIR)$(PREFIX)/bin/berth-monitor
	install -D -m 0755 $(BUILD)/src/cli/berth-dns $(DESTDIR)$(PREFIX)/bin/berth-dns

clean:
	rm -rf $(BUILD) $(ASAN)
