"""Catalog entries of A/B experiments (merged into ``handlers.i18n.CATALOG``). Pure data.

Results are read by moderators (``/campaign stats``) and brand teams (the digest), in the program's or the
reader's language; the CLI uses the English texts.
"""

MESSAGES: dict[str, dict[str, str]] = {
    "experiments.title": {"en": "{experiment} ({message}): converts = {conversion} within {hours} h",
                          "zh-CN": "{experiment}（{message}）：转化 = {hours} 小时内{conversion}"},
    "experiments.conversion.earning_message": {"en": "an earning message", "zh-CN": "发送获得积分的消息"},
    "experiments.conversion.ugc_submission": {"en": "a content submission", "zh-CN": "提交投稿"},
    "experiments.conversion.redemption": {"en": "a reward redemption", "zh-CN": "兑换奖励"},
    "experiments.conversion.return": {"en": "coming back (any message)", "zh-CN": "回归（发送任意消息）"},
    "experiments.row.control": {"en": "{variant} (control): {exposed:,} exposed; {converted:,} of {settled:,} "
                                      "with a closed window converted ({rate})",
                                "zh-CN": "{variant}（对照组）：曝光 {exposed:,} 人；窗口已结束的 {settled:,} 人中"
                                         "转化 {converted:,} 人（{rate}）"},
    "experiments.row.variant": {"en": "{variant}: {exposed:,} exposed; {converted:,} of {settled:,} converted "
                                      "({rate}); {difference} vs control (95% CI {low} to {high}), p = {p}: "
                                      "{verdict}",
                                "zh-CN": "{variant}：曝光 {exposed:,} 人；{settled:,} 人中转化 {converted:,} 人"
                                         "（{rate}）；与对照组相差 {difference}（95% 置信区间 {low} 至 {high}），"
                                         "p = {p}：{verdict}"},
    "experiments.row.waiting": {"en": "{variant}: {exposed:,} exposed, no closed conversion window yet",
                                "zh-CN": "{variant}：曝光 {exposed:,} 人，尚无结束的转化窗口"},
    "experiments.control": {"en": "control", "zh-CN": "对照组"},
    "experiments.points": {"en": "{value:+.1f} pts", "zh-CN": "{value:+.1f} 个百分点"},
    "experiments.verdict.better": {"en": "better", "zh-CN": "更好"},
    "experiments.verdict.worse": {"en": "worse", "zh-CN": "更差"},
    "experiments.verdict.not yet significant": {"en": "not yet significant", "zh-CN": "尚不显著"},
    "experiments.open": {"en": "{count:,} member(s) still inside their conversion window are not counted yet.",
                         "zh-CN": "还有 {count:,} 人的转化窗口未结束，暂不计入。"},
    "experiments.result.better": {"en": "Result: {variant} converts better than {control}.",
                                  "zh-CN": "结论：{variant} 的转化优于 {control}。"},
    "experiments.result.worse": {"en": "Result: {variant} converts worse than {control}.",
                                 "zh-CN": "结论：{variant} 的转化不如 {control}。"},
    "experiments.result.sample": {"en": "Result: not yet significant; each variant needs {minimum:,} exposures "
                                        "with a closed window, the smallest has {smallest:,}.",
                                  "zh-CN": "结论：尚不显著；每个版本需要 {minimum:,} 个窗口已结束的曝光，"
                                           "目前最少的只有 {smallest:,} 个。"},
    "experiments.result.interval": {"en": "Result: not yet significant; the confidence interval still includes "
                                          "zero.",
                                    "zh-CN": "结论：尚不显著；置信区间仍包含零。"},
    "experiments.result.none": {"en": "No member has been exposed yet.", "zh-CN": "还没有成员看到这条消息。"},
    "experiments.during_campaign": {"en": "A/B test among the members who got its message during this campaign:",
                                    "zh-CN": "本活动期间收到消息的成员中的 A/B 测试："},
    "experiments.digest.title": {"en": "A/B tests", "zh-CN": "A/B 测试"},
    "experiments.digest.headline": {"en": "{count} A/B test(s) showed their message to {exposed:,} member(s) "
                                          "for the first time in this period.",
                                    "zh-CN": "本期有 {count} 个 A/B 测试首次向 {exposed:,} 名成员展示了消息。"},
    "experiments.digest.note": {"en": "Results at the end of the period over every exposure so far; rates count "
                                      "members whose conversion window has closed (95% Newcombe interval, "
                                      "two-proportion z-test).",
                                "zh-CN": "结果截至本期末，包含迄今全部曝光；转化率只计转化窗口已结束的成员"
                                         "（95% Newcombe 区间，双比例 z 检验）。"},
    "experiments.col.experiment": {"en": "experiment", "zh-CN": "实验"},
    "experiments.col.variant": {"en": "variant", "zh-CN": "版本"},
    "experiments.col.exposed": {"en": "exposed", "zh-CN": "曝光"},
    "experiments.col.converted": {"en": "converted", "zh-CN": "转化"},
    "experiments.col.rate": {"en": "rate", "zh-CN": "转化率"},
    "experiments.col.difference": {"en": "vs control, pts [95% CI]", "zh-CN": "与对照组差（百分点）[95% 置信区间]"},
    "experiments.col.p": {"en": "p", "zh-CN": "p 值"},
    "experiments.col.verdict": {"en": "verdict", "zh-CN": "结论"},
}
