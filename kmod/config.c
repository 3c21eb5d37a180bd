// SPDX-License-Identifier: GPL-2.0
/*
 * The settings of a namespace, listed once (EVS_SETTINGS in evstream.h):
 * the netlink policy, CONFIG_GET, CONFIG_SET, the checks of the module
 * parameters and the ceilings for other user namespaces all walk the same
 * table, so that a value one of them shows is one the others take.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <net/netlink.h>
#include "evstream.h"

/* One setting: its attribute, where it lives, its range, its ceiling. */
struct evs_setting {
	const char *name;
	const char *ceil_msg;		/* extack when over the ceiling */
	const char *pow2_msg;		/* extack when not a power of two */
	const struct netlink_range_validation *range;
	u16 attr;			/* EVS_CFG_A_* */
	u8 nla_type;			/* NLA_U8, NLA_U32 or NLA_U64 */
	u8 size;			/* of the field: 4 or 8 */
	u16 off;			/* in struct evs_config */
	s16 ceil_off;			/* in struct evs_ceiling, -1: none */
	bool pow2;
};

#define EVS_CEIL_OFF_ceil(f)	offsetof(struct evs_ceiling, f)
#define EVS_CEIL_OFF_noceil(f)	-1
#define EVS_POW2_pow2		true
#define EVS_POW2_any		false

/* Not const: 6.1's struct nla_policy points to a writable one. */
#define EVS_RANGE(f, t, a, lo, hi, cl, p2)				\
static struct netlink_range_validation evs_range_##f = {		\
	.min = (lo), .max = (hi),					\
};

EVS_SETTINGS(EVS_RANGE)
#undef EVS_RANGE

#define EVS_POLICY(f, t, a, lo, hi, cl, p2)				\
	[EVS_CFG_A_##a] = NLA_POLICY_FULL_RANGE(NLA_##t, &evs_range_##f),
const struct nla_policy evs_cfg_policy[EVS_CFG_A_MAX + 1] = {
	EVS_SETTINGS(EVS_POLICY)
};

#undef EVS_POLICY

#define EVS_SETTING(f, t, a, lo, hi, cl, p2) {				\
	.name = #f,							\
	.ceil_msg = #f " above its ceiling, userns_" #f,		\
	.pow2_msg = #f " must be a power of two",			\
	.range = &evs_range_##f,					\
	.attr = EVS_CFG_A_##a,						\
	.nla_type = NLA_##t,						\
	.size = sizeof_field(struct evs_config, f),			\
	.off = offsetof(struct evs_config, f),				\
	.ceil_off = EVS_CEIL_OFF_##cl(f),				\
	.pow2 = EVS_POW2_##p2,						\
},
static const struct evs_setting evs_settings[] = {
	EVS_SETTINGS(EVS_SETTING)
};

#undef EVS_SETTING

static u64 evs_field_get(const void *base, unsigned int off, unsigned int size)
{
	const void *p = base + off;

	return size == sizeof(u64) ? READ_ONCE(*(const u64 *)p) :
				     READ_ONCE(*(const u32 *)p);
}

static void evs_field_set(void *base, unsigned int off, unsigned int size,
			  u64 val)
{
	void *p = base + off;

	if (size == sizeof(u64))
		WRITE_ONCE(*(u64 *)p, val);
	else
		WRITE_ONCE(*(u32 *)p, (u32)val);
}

static u64 evs_setting_get(const struct evs_setting *s,
			   const struct evs_config *c)
{
	return evs_field_get(c, s->off, s->size);
}

static u64 evs_setting_ceiling(const struct evs_setting *s)
{
	return evs_field_get(&evs_userns_ceiling, s->ceil_off, s->size);
}

/*
 * NL_SET_ERR_MSG() takes string literals only; the table's messages are
 * as static, one per setting.
 */
static void evs_setting_extack(struct netlink_ext_ack *extack,
			       const struct nlattr *a, const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	extack->bad_attr = a;
}

static bool evs_setting_ok(const struct evs_setting *s, u64 val)
{
	return val >= s->range->min && val <= s->range->max &&
	       (!s->pow2 || is_power_of_2(val));
}

int evs_config_put(struct sk_buff *msg, const struct evs_config *c)
{
	struct nlattr *nest = nla_nest_start(msg, EVS_A_CONFIG);
	unsigned int i;
	int err = 0;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(evs_settings) && !err; i++) {
		const struct evs_setting *s = &evs_settings[i];
		u64 v = evs_setting_get(s, c);

		switch (s->nla_type) {
		case NLA_U8:
			err = nla_put_u8(msg, s->attr, v);
			break;
		case NLA_U32:
			err = nla_put_u32(msg, s->attr, v);
			break;
		default:
			err = nla_put_u64_64bit(msg, s->attr, v, EVS_CFG_A_PAD);
			break;
		}
	}
	if (err)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * Takes into @c the settings @tb has, which the policy has range-checked;
 * -EINVAL for a ring size that is not a power of two.
 */
int evs_config_parse(struct evs_config *c, struct nlattr **tb,
		     struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(evs_settings); i++) {
		const struct evs_setting *s = &evs_settings[i];
		const struct nlattr *a = tb[s->attr];
		u64 v;

		if (!a)
			continue;
		switch (s->nla_type) {
		case NLA_U8:
			v = nla_get_u8(a);
			break;
		case NLA_U32:
			v = nla_get_u32(a);
			break;
		default:
			v = nla_get_u64(a);
			break;
		}
		if (s->pow2 && !is_power_of_2(v)) {
			evs_setting_extack(extack, a, s->pow2_msg);
			return -EINVAL;
		}
		evs_field_set(c, s->off, s->size, v);
	}
	return 0;
}

/* Every setting at once, each read racily but whole (READ_ONCE). */
void evs_config_store(struct evs_config *dst, const struct evs_config *src)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(evs_settings); i++) {
		const struct evs_setting *s = &evs_settings[i];

		evs_field_set(dst, s->off, s->size, evs_setting_get(s, src));
	}
}

/*
 * A setting may not be raised above its ceiling; one already above (the
 * ceiling was lowered after it was set) may stay or come down.
 */
int evs_config_check_ceiling(const struct evs_config *old,
			     const struct evs_config *new,
			     struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(evs_settings); i++) {
		const struct evs_setting *s = &evs_settings[i];
		u64 was = evs_setting_get(s, old), now = evs_setting_get(s, new);

		if (s->ceil_off < 0)
			continue;
		if (now > was && now > evs_setting_ceiling(s)) {
			evs_setting_extack(extack, NULL, s->ceil_msg);
			return -EPERM;
		}
	}
	return 0;
}

/*
 * A new namespace of another user namespace starts at the defaults, but
 * never above the ceilings: the host's root may load the module with
 * larger defaults for its own namespaces.
 */
void evs_config_clamp(struct evs_config *c)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(evs_settings); i++) {
		const struct evs_setting *s = &evs_settings[i];

		if (s->ceil_off >= 0)
			evs_field_set(c, s->off, s->size,
				      min(evs_setting_get(s, c),
					  evs_setting_ceiling(s)));
	}
}

/* Module parameters are not range-checked by the core: refuse to load. */
int __init evs_config_check_params(const struct evs_config *c)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(evs_settings); i++) {
		const struct evs_setting *s = &evs_settings[i];

		if (!evs_setting_ok(s, evs_setting_get(s, c))) {
			pr_err("module parameter %s out of range\n", s->name);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Writes a userns_* ceiling (root only, through sysfs): in its setting's
 * range, a power of two where the setting must be.
 */
int evs_param_set_ceiling(const char *val, const struct kernel_param *kp)
{
	unsigned int i;
	u64 n;
	int err;

	err = kstrtoull(val, 0, &n);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(evs_settings); i++) {
		const struct evs_setting *s = &evs_settings[i];

		if (s->ceil_off < 0 ||
		    (void *)&evs_userns_ceiling + s->ceil_off != kp->arg)
			continue;
		if (!evs_setting_ok(s, n))
			return -EINVAL;
		evs_field_set(&evs_userns_ceiling, s->ceil_off, s->size, n);
		return 0;
	}
	return -EINVAL;
}
