"""Referral texts, English and Simplified Chinese (merged into ``handlers.i18n.CATALOG``)."""

MESSAGES: dict[str, dict[str, str]] = {
    "cmd.invite": {"en": "Get your personal invite link", "zh-CN": "获取你的专属邀请链接"},
    "cmd.referrals": {"en": "Your referrals, each with its reason (moderators: top)",
                      "zh-CN": "你的邀请及各自原因（管理员：top）"},
    "arg.referrals_view": {"en": "mine (your referrals) or top (top inviters, moderators)",
                           "zh-CN": "mine（你的邀请）或 top（邀请排行，管理员）"},
    "referral.invite": {"en": "Your personal invite link: {url}\nWhen someone joins through it, stays {days} "
                              "day(s) and earns points from {messages} message(s) within {within} days, you "
                              "earn {points:,} points.",
                        "zh-CN": "你的专属邀请链接：{url}\n有人通过它加入、停留 {days} 天并在 {within} 天内"
                                 "发送 {messages} 条获得积分的消息后，你将获得 {points:,} 积分。"},
    "error.invite_refused": {"en": "I can't create your invite link: {reason}. I've posted a note for the "
                                   "moderators; try again once they have fixed it.",
                             "zh-CN": "无法创建你的邀请链接：{reason}。我已通知管理员；请在他们修复后再试。"},
    "error.invite_unavailable": {"en": "Invite links can't be made right now: the bot is not connected to "
                                       "{platform}. Please try again later.",
                                 "zh-CN": "现在无法创建邀请链接：机器人未连接到 {platform}。请稍后再试。"},
    "error.invite_failed": {"en": "{platform} did not create your invite link just now; nothing was changed. "
                                  "Please try again in a minute.",
                            "zh-CN": "{platform} 刚才没有创建你的邀请链接，没有做任何更改。请一分钟后再试。"},
    "referral.moderators_refused": {"en": "Moderators: members can't get personal invite links (/invite) here: "
                                          "{reason}. Give the bot that right and /invite works again.",
                                    "zh-CN": "管理员请注意：成员无法在这里获取专属邀请链接（/invite）：{reason}。"
                                             "请授予机器人该权限，/invite 即可恢复。"},
    "error.referrals_view": {"en": "'{value}' is not a view of /referrals; use mine (your referrals) or top "
                                   "(top inviters, moderators).",
                             "zh-CN": "“{value}”不是 /referrals 的视图；请使用 mine（你的邀请）或 top（邀请排行，管理员）。"},
    "referrals.none": {"en": "You have no referrals yet. Get your invite link with /invite.",
                       "zh-CN": "你还没有邀请记录。用 /invite 获取你的邀请链接。"},
    "referrals.header": {"en": "Your referrals: {qualified} qualified, {pending} pending, {rejected} rejected, "
                               "{dropped} dropped, {clawed_back} taken back. Latest:",
                         "zh-CN": "你的邀请：{qualified} 个已达标，{pending} 个待定，{rejected} 个被拒，"
                                  "{dropped} 个已放弃，{clawed_back} 个已收回。最近的："},
    "referrals.row": {"en": "#{id} {name}, joined {date}: {status}", "zh-CN": "#{id} {name}，{date} 加入：{status}"},
    "referrals.status.pending": {"en": "pending, checked from {due}", "zh-CN": "待定，{due} 起检查"},
    "referrals.status.qualified": {"en": "qualified, +{points:,} points", "zh-CN": "已达标，+{points:,} 积分"},
    "referrals.status.rejected": {"en": "rejected: {reason}", "zh-CN": "被拒：{reason}"},
    "referrals.status.dropped": {"en": "dropped: {reason}", "zh-CN": "已放弃：{reason}"},
    "referrals.status.clawed_back": {"en": "taken back ({points:,} points): {reason}",
                                     "zh-CN": "已收回（{points:,} 积分）：{reason}"},
    "referrals.reason.self_referral": {"en": "you cannot invite yourself (or an account linked to yours)",
                                       "zh-CN": "不能邀请自己（或与你关联的账号）"},
    "referrals.reason.rejoin": {"en": "they had been in the community before",
                                "zh-CN": "对方以前已经是社区成员"},
    "referrals.reason.account_too_young": {"en": "their account was younger than {days} days",
                                           "zh-CN": "对方账号注册不足 {days} 天"},
    "referrals.reason.inactive": {"en": "they did not earn points from {messages} messages within {within} days",
                                  "zh-CN": "对方未在 {within} 天内发送 {messages} 条获得积分的消息"},
    "referrals.reason.left_early": {"en": "they left before qualifying", "zh-CN": "对方在达标前离开了"},
    "referrals.reason.left_after_qualifying": {"en": "they left within {days} days of qualifying",
                                               "zh-CN": "对方在达标后 {days} 天内离开了"},
    "referrals.top_header": {"en": "Top inviters of {program} (qualified referrals):",
                             "zh-CN": "{program} 邀请排行（按已达标人数）："},
    "referrals.top_row": {"en": "#{rank} {name}: {qualified} qualified, {pending} pending",
                          "zh-CN": "第 {rank} 名 {name}：{qualified} 个已达标，{pending} 个待定"},
    "referrals.top_empty": {"en": "Nobody has a qualified or pending referral yet.",
                            "zh-CN": "还没有人有已达标或待定的邀请。"},
    "referral.qualified_inviter": {"en": "{name}, whom you invited to {program}, has qualified: you earned "
                                         "{points:,} points.",
                                   "zh-CN": "你邀请加入 {program} 的 {name} 已达标：你获得了 {points:,} 积分。"},
    "referral.welcome": {"en": "Welcome to {program}! You stayed and took part, so here are {points:,} points.",
                         "zh-CN": "欢迎加入 {program}！感谢你的参与，送你 {points:,} 积分。"},
    "digest.referrals.title": {"en": "Referral funnel", "zh-CN": "邀请漏斗"},
    "digest.referrals.headline": {"en": "{joins:,} joins through personal links, {qualified:,} qualified.",
                                  "zh-CN": "通过个人邀请链接加入 {joins:,} 人，已达标 {qualified:,} 人。"},
    "digest.referrals.stage": {"en": "Stage", "zh-CN": "阶段"},
    "digest.referrals.count": {"en": "This period", "zh-CN": "本周期"},
    "digest.referrals.previous": {"en": "Period before", "zh-CN": "上一周期"},
    "digest.referrals.stage.links_created": {"en": "invite links created", "zh-CN": "创建的邀请链接"},
    "digest.referrals.stage.joins": {"en": "joins", "zh-CN": "加入"},
    "digest.referrals.stage.referred": {"en": "joins through a personal link", "zh-CN": "通过个人链接加入"},
    "digest.referrals.stage.pending": {"en": "pending", "zh-CN": "待定"},
    "digest.referrals.stage.qualified": {"en": "qualified", "zh-CN": "已达标"},
    "digest.referrals.stage.clawed_back": {"en": "taken back", "zh-CN": "已收回"},
    "digest.referrals.stage.dropped": {"en": "dropped", "zh-CN": "已放弃"},
    "digest.referrals.stage.rejected": {"en": "rejected", "zh-CN": "被拒"},
}
