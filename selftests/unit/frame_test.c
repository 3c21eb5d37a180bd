// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the wire-frame header codec in include/evstream/,
 * the same code the module runs.  Expected bytes are written out by hand
 * from the protocol table in docs/protocol.md, not produced by the codec.
 */
#include <stddef.h>
#include <stdlib.h>
#include <evstream/frame.h>
#include "kselftest_harness.h"

/* magic 0x4576, v1, ACK_REQ, length 0x01020304, topic 0xbeef, prio 2,
 * reserved 0, seq 0xa1b2c3d4
 */
static const unsigned char sample_wire[EVS_WIRE_HDR_LEN] = {
	0x45, 0x76, 0x01, 0x01, 0x01, 0x02, 0x03, 0x04,
	0xbe, 0xef, 0x02, 0x00, 0xa1, 0xb2, 0xc3, 0xd4,
};

static struct evs_frame good_frame(void)
{
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC,
		.version = EVS_WIRE_VERSION,
		.flags = EVS_WIRE_F_ACK_REQ,
		.length = 100,
		.topic = 7,
		.priority = EVS_PRIO_TX,
		.reserved = 0,
		.seq = 1,
	};
	return f;
}

TEST(layout_matches_protocol_table)
{
	ASSERT_EQ(EVS_WIRE_HDR_LEN, sizeof(struct evs_wire_hdr));
	EXPECT_EQ(0, offsetof(struct evs_wire_hdr, magic));
	EXPECT_EQ(2, offsetof(struct evs_wire_hdr, version));
	EXPECT_EQ(3, offsetof(struct evs_wire_hdr, flags));
	EXPECT_EQ(4, offsetof(struct evs_wire_hdr, length));
	EXPECT_EQ(8, offsetof(struct evs_wire_hdr, topic));
	EXPECT_EQ(10, offsetof(struct evs_wire_hdr, priority));
	EXPECT_EQ(11, offsetof(struct evs_wire_hdr, reserved));
	EXPECT_EQ(12, offsetof(struct evs_wire_hdr, seq));
}

TEST(encode_writes_network_order)
{
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC, .version = 1,
		.flags = EVS_WIRE_F_ACK_REQ, .length = 0x01020304,
		.topic = 0xbeef, .priority = 2, .seq = 0xa1b2c3d4,
	};
	unsigned char buf[EVS_WIRE_HDR_LEN];

	memset(buf, 0xaa, sizeof(buf));
	evs_frame_encode(buf, &f);
	EXPECT_EQ(0, memcmp(buf, sample_wire, sizeof(buf)));
}

TEST(decode_reads_network_order)
{
	struct evs_frame f;

	evs_frame_decode(sample_wire, &f);
	EXPECT_EQ(0x4576, f.magic);
	EXPECT_EQ(1, f.version);
	EXPECT_EQ(EVS_WIRE_F_ACK_REQ, f.flags);
	EXPECT_EQ(0x01020304u, f.length);
	EXPECT_EQ(0xbeef, f.topic);
	EXPECT_EQ(2, f.priority);
	EXPECT_EQ(0, f.reserved);
	EXPECT_EQ(0xa1b2c3d4u, f.seq);
}

TEST(decode_at_any_alignment)
{
	unsigned char *buf = malloc(EVS_WIRE_HDR_LEN + 8);
	struct evs_frame f;
	int off;

	ASSERT_NE(NULL, buf);
	for (off = 0; off < 8; off++) {
		memcpy(buf + off, sample_wire, EVS_WIRE_HDR_LEN);
		evs_frame_decode(buf + off, &f);
		EXPECT_EQ(0x01020304u, f.length);
		EXPECT_EQ(0xa1b2c3d4u, f.seq);
	}
	free(buf);
}

TEST(round_trip_extremes)
{
	static const u32 lengths[] = { 0, 1, 4096, 65536, 0xffffffffu };
	static const u32 seqs[] = { 0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu };
	unsigned char buf[EVS_WIRE_HDR_LEN];
	struct evs_frame in = good_frame(), out;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		in.length = lengths[i];
		in.seq = seqs[i];
		in.topic = (u16)(0xffff - i);
		in.priority = i == 0 ? EVS_PRIO_AUTO : (u8)i;
		evs_frame_encode(buf, &in);
		evs_frame_decode(buf, &out);
		EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
	}
}

TEST(good_header_accepted)
{
	struct evs_frame f = good_frame();

	EXPECT_EQ(EVS_FRAME_OK, evs_frame_check(&f, EVS_WIRE_PAYLOAD_DEFAULT));
	f.flags = 0;
	EXPECT_EQ(EVS_FRAME_OK, evs_frame_check(&f, EVS_WIRE_PAYLOAD_DEFAULT));
}

TEST(bad_magic)
{
	struct evs_frame f = good_frame();

	f.magic = 0x7645;
	EXPECT_EQ(EVS_FRAME_ERR_MAGIC, evs_frame_check(&f, 4096));
	f.magic = 0;
	EXPECT_EQ(EVS_FRAME_ERR_MAGIC, evs_frame_check(&f, 4096));
}

TEST(bad_version)
{
	struct evs_frame f = good_frame();

	f.version = 0;
	EXPECT_EQ(EVS_FRAME_ERR_VERSION, evs_frame_check(&f, 4096));
	f.version = 2;
	EXPECT_EQ(EVS_FRAME_ERR_VERSION, evs_frame_check(&f, 4096));
}

TEST(reserved_bits)
{
	struct evs_frame f = good_frame();
	int bit;

	/* Every flag bit but ACK_REQ is refused from a client, ACK and
	 * ERROR included: those only travel server to client.
	 */
	for (bit = 1; bit < 8; bit++) {
		f.flags = EVS_WIRE_F_ACK_REQ | (1u << bit);
		EXPECT_EQ(EVS_FRAME_ERR_RESERVED, evs_frame_check(&f, 4096));
	}
	f.flags = 0;
	f.reserved = 0x80;
	EXPECT_EQ(EVS_FRAME_ERR_RESERVED, evs_frame_check(&f, 4096));
}

TEST(length_limit_is_inclusive)
{
	struct evs_frame f = good_frame();

	f.length = 4096;
	EXPECT_EQ(EVS_FRAME_OK, evs_frame_check(&f, 4096));
	f.length = 4097;
	EXPECT_EQ(EVS_FRAME_ERR_LENGTH, evs_frame_check(&f, 4096));
	f.length = 0;
	EXPECT_EQ(EVS_FRAME_OK, evs_frame_check(&f, 4096));
}

TEST(length_never_above_hard_cap)
{
	struct evs_frame f = good_frame();

	f.length = EVS_WIRE_PAYLOAD_CAP;
	EXPECT_EQ(EVS_FRAME_OK, evs_frame_check(&f, EVS_WIRE_PAYLOAD_CAP));
	f.length = EVS_WIRE_PAYLOAD_CAP + 1;
	/* Even when a caller passes a limit above the cap. */
	EXPECT_EQ(EVS_FRAME_ERR_LENGTH, evs_frame_check(&f, 0xffffffffu));
	f.length = 0xffffffffu;
	EXPECT_EQ(EVS_FRAME_ERR_LENGTH, evs_frame_check(&f, 0xffffffffu));
}

TEST(priorities)
{
	struct evs_frame f = good_frame();
	int p;

	for (p = 0; p < 256; p++) {
		f.priority = (u8)p;
		if (p < EVS_PRIO_NR || p == EVS_PRIO_AUTO) {
			EXPECT_EQ(EVS_FRAME_OK, evs_frame_check(&f, 4096));
		} else {
			EXPECT_EQ(EVS_FRAME_ERR_PRIORITY,
				  evs_frame_check(&f, 4096));
		}
	}
}

TEST(first_bad_field_in_wire_order_is_reported)
{
	struct evs_frame f = good_frame();

	f.magic = 1;
	f.version = 9;
	f.reserved = 1;
	f.length = 1 << 20;
	f.priority = 7;
	EXPECT_EQ(EVS_FRAME_ERR_MAGIC, evs_frame_check(&f, 4096));
	f.magic = EVS_WIRE_MAGIC;
	EXPECT_EQ(EVS_FRAME_ERR_VERSION, evs_frame_check(&f, 4096));
	f.version = 1;
	EXPECT_EQ(EVS_FRAME_ERR_RESERVED, evs_frame_check(&f, 4096));
	f.reserved = 0;
	EXPECT_EQ(EVS_FRAME_ERR_LENGTH, evs_frame_check(&f, 4096));
	f.length = 1;
	EXPECT_EQ(EVS_FRAME_ERR_PRIORITY, evs_frame_check(&f, 4096));
}

TEST(every_error_has_its_own_reason)
{
	int a, b;

	for (a = EVS_FRAME_ERR_MAGIC; a < EVS_FRAME_ERR_NR; a++) {
		const char *ra = evs_frame_strerror(a);

		ASSERT_NE(NULL, ra);
		EXPECT_NE(0, strcmp(ra, "unknown error"));
		for (b = a + 1; b < EVS_FRAME_ERR_NR; b++)
			EXPECT_NE(0, strcmp(ra, evs_frame_strerror(b)));
	}
}

TEST_HARNESS_MAIN
