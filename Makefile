# SPDX-License-Identifier: GPL-2.0
#
# make                      build against the running kernel
# make KDIR=/usr/src/linux-headers-6.12.117+deb12-amd64
# make W=1 C=1              extra warnings and sparse, as the tests do

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

.PHONY: all modules clean
