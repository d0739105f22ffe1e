"""Churn risk's catalog entries (gathered in ``handlers.i18n``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "churn.factor.activity": {"en": "activity down {drop}% ({recent} messages in 14 days, usually {usual})",
                              "zh-CN": "活跃度下降 {drop}%（近 14 天 {recent} 条消息，平时约 {usual} 条）"},
    "churn.factor.silence": {"en": "silent for {days} days (usually every {usual} days)",
                             "zh-CN": "已沉默 {days} 天（平时约每 {usual} 天发言一次）"},
    "churn.factor.sentiment": {"en": "{recent}% negative lately, {before}% before",
                               "zh-CN": "近期负面消息占 {recent}%，此前为 {before}%"},
    "churn.factor.streak": {"en": "{days}-day streak broken (last day {day})",
                            "zh-CN": "连续 {days} 天的活跃记录已中断（最后一天 {day}）"},
    "churn.factor.expiry": {"en": "{points:,} points expire within 7 days",
                            "zh-CN": "{points:,} 积分将在 7 天内过期"},
    "churn.none": {"en": "no clear factor", "zh-CN": "无明显因素"},
    "digest.churn.title": {"en": "Churn risk", "zh-CN": "流失风险"},
    "digest.churn.headline": {"en": "{high} of {members} recently active members at high risk (≥ {threshold}%)",
                              "zh-CN": "{members} 名近期活跃成员中有 {high} 名流失风险高（≥ {threshold}%）"},
    "digest.churn.member": {"en": "Member", "zh-CN": "成员"},
    "digest.churn.risk": {"en": "Risk", "zh-CN": "风险"},
    "digest.churn.last_active": {"en": "Last active", "zh-CN": "最后活跃"},
    "digest.churn.factors": {"en": "Top factors", "zh-CN": "主要因素"},
    "digest.churn.note": {"en": "Risk compares each member with their own history: activity, silence, "
                                "sentiment trend, broken streaks and expiring points.",
                          "zh-CN": "风险将每位成员与其自身历史比较：活跃度、沉默时长、情绪趋势、"
                                   "中断的连续活跃和即将过期的积分。"},
    "cli.churn.title": {"en": "Churn risk in {program} as of {at}", "zh-CN": "{program} 截至 {at} 的流失风险"},
    "cli.churn.none": {"en": "No member of {program} was active in the last {weeks} weeks.",
                       "zh-CN": "{program} 在最近 {weeks} 周内没有活跃成员。"},
}
