// SPDX-License-Identifier: GPL-2.0
/*
 * The Rust cpulist parser, run in the kernel, against the kernel's own
 * cpulist_parse(): same mask, same errno, for known and random input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kselftest_harness.h"
#include "proxy_util.h"

#define PARSE_FILE TEST_DIR "/parse"

struct outcome {
	int rust_ret, kernel_ret;
	char rust_list[128], kernel_list[128];
};

/* Feeds input (len bytes, may hold NULs) to both parsers. */
static int parse_both(const char *input, size_t len, struct outcome *o)
{
	char buf[512], *kline;
	int ret;

	ret = write_file(PARSE_FILE, input, len);
	if (ret)
		return ret;
	if (read_file(PARSE_FILE, buf, sizeof(buf)) <= 0)
		return -EIO;
	kline = strstr(buf, "\nkernel ");
	if (strncmp(buf, "rust ", 5) || !kline)
		return -EIO;
	*kline++ = '\0';
	memset(o, 0, sizeof(*o));
	if (sscanf(buf, "rust %d %127s", &o->rust_ret, o->rust_list) < 1 ||
	    sscanf(kline, "kernel %d %127s", &o->kernel_ret, o->kernel_list) < 1)
		return -EIO;
	return 0;
}

static int last_possible_cpu(void)
{
	char buf[64], *dash;

	if (read_file("/sys/devices/system/cpu/possible", buf, sizeof(buf)) <= 0)
		return -1;
	dash = strrchr(buf, '-');
	return atoi(dash ? dash + 1 : buf);
}

FIXTURE(parse) {
	int last;
	char last_str[16], all_str[32];
};

FIXTURE_SETUP(parse)
{
	if (access(PARSE_FILE, F_OK))
		SKIP(return, "%s absent: CONFIG_TEST_CPU_PROXY is not enabled",
		     PARSE_FILE);
	self->last = last_possible_cpu();
	ASSERT_GE(self->last, 1) TH_LOG("needs at least 2 possible CPUs");
	snprintf(self->last_str, sizeof(self->last_str), "%d", self->last);
	snprintf(self->all_str, sizeof(self->all_str), "0-%d", self->last);
}

FIXTURE_TEARDOWN(parse)
{
}

/* Well-formed lists give the expected mask in both parsers. */
TEST_F(parse, well_formed)
{
	const struct { const char *in, *want; } cases[] = {
		{ "0", "0" },
		{ "1\n", "1" },
		{ "0-1", "0-1" },
		{ "1,0", "0-1" },
		{ " 0 , 1 ", "0-1" },
		{ "N", self->last_str },
		{ "all", self->all_str },
		{ "0-N", self->all_str },
		{ "0-N:1/1", self->all_str },
		{ "1\n0", "1" },
	};
	struct outcome o;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, parse_both(cases[i].in, strlen(cases[i].in), &o));
		EXPECT_EQ(0, o.rust_ret) TH_LOG("%s", cases[i].in);
		EXPECT_STREQ(cases[i].want, o.rust_list) TH_LOG("%s", cases[i].in);
		EXPECT_EQ(0, o.kernel_ret);
		EXPECT_STREQ(cases[i].want, o.kernel_list);
	}
}

TEST_F(parse, empty_list_is_empty_mask)
{
	struct outcome o;

	ASSERT_EQ(0, parse_both("\n", 1, &o));
	EXPECT_EQ(0, o.rust_ret);
	EXPECT_STREQ("", o.rust_list);
	EXPECT_EQ(0, o.kernel_ret);
	EXPECT_STREQ("", o.kernel_list);
}

/* Malformed and out-of-range lists give the same specific errno. */
TEST_F(parse, rejects_with_errno)
{
	const struct { const char *in; int err; } cases[] = {
		{ "x", -EINVAL },
		{ "1-", -EINVAL },
		{ "-1", -EINVAL },
		{ "1-0", -EINVAL },
		{ "0-1:2/1", -EINVAL },
		{ "0-1:1/0", -EINVAL },
		{ "0;1", -EINVAL },
		{ "0x1", -EINVAL },
		{ "9999", -ERANGE },
		{ "0,64", -ERANGE },
		{ "99999999999", -EOVERFLOW },
	};
	struct outcome o;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, parse_both(cases[i].in, strlen(cases[i].in), &o));
		EXPECT_EQ(cases[i].err, o.rust_ret) TH_LOG("%s", cases[i].in);
		EXPECT_EQ(cases[i].err, o.kernel_ret) TH_LOG("%s", cases[i].in);
	}
}

/*
 * Random input, half of it noise over the list alphabet and half of it
 * lists of in-range numbers and ranges (often valid, sometimes reversed):
 * both parsers always agree on the errno and the mask.
 */
TEST_F(parse, agrees_with_cpulist_parse_on_random_input)
{
	static const char alphabet[] = "0123456789,-:/N\n alx\t\xa0";
	unsigned int seed = 1, accepted = 0, rejected = 0;
	struct outcome o;
	char in[64];

	for (int i = 0; i < 5000; i++) {
		size_t len = 0;

		if (i % 2) {
			len = 1 + rand_r(&seed) % 15;
			for (size_t j = 0; j < len; j++)
				in[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		} else {
			int regions = 1 + rand_r(&seed) % 3;

			for (int r = 0; r < regions; r++) {
				int a = rand_r(&seed) % (self->last + 1);
				int b = rand_r(&seed) % (self->last + 1);

				len += sprintf(in + len, r ? ",%d" : "%d", a);
				if (rand_r(&seed) % 2)
					len += sprintf(in + len, "-%d", b);
			}
			if (rand_r(&seed) % 2)
				in[len++] = '\n';
		}
		ASSERT_EQ(0, parse_both(in, len, &o));
		ASSERT_EQ(o.kernel_ret, o.rust_ret)
			TH_LOG("input \"%.*s\"", (int)len, in);
		ASSERT_STREQ(o.kernel_list, o.rust_list)
			TH_LOG("input \"%.*s\"", (int)len, in);
		if (o.rust_ret)
			rejected++;
		else
			accepted++;
	}
	/* The generator must exercise both outcomes to mean anything. */
	EXPECT_GT(accepted, 1000);
	EXPECT_GT(rejected, 1000);
}

TEST_HARNESS_MAIN
