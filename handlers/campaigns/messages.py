"""Texts of multiplier windows and member days, English and Simplified Chinese (merged into
``handlers.i18n.CATALOG``)."""

MESSAGES: dict[str, dict[str, str]] = {
    "group.campaign": {"en": "Campaigns: create, list, end, stats",
                       "zh-CN": "营销活动：创建、列表、结束、统计"},
    "cmd.campaign.create": {"en": "Create a points multiplier window (e.g. double points)",
                            "zh-CN": "创建积分倍数活动（例如双倍积分）"},
    "cmd.campaign.list": {"en": "List this program's campaigns", "zh-CN": "列出本计划的活动"},
    "cmd.campaign.end": {"en": "End a campaign now", "zh-CN": "立即结束活动"},
    "cmd.campaign.stats": {"en": "Points issued under a campaign", "zh-CN": "查看活动发放的积分"},
    "cmd.campaigns": {"en": "What campaigns are running and coming", "zh-CN": "正在进行和即将开始的活动"},
    "arg.campaign": {"en": "Campaign number", "zh-CN": "活动编号"},
    "arg.campaign_kind": {"en": "multiplier (points multiplied in a time window)",
                          "zh-CN": "multiplier（时间段内积分翻倍）"},
    "arg.multiplier": {"en": "Multiplier, e.g. 2 or 1.5", "zh-CN": "倍数，例如 2 或 1.5"},
    "arg.scope": {"en": "What is multiplied: messages, reactions, ugc or all",
                  "zh-CN": "翻倍范围：messages（消息）、reactions（表情回应）、ugc（投稿）或 all（全部）"},
    "arg.campaign_title": {"en": "Title (optional, up to 100 characters)", "zh-CN": "标题（可选，最多 100 个字符）"},
    "campaign.scope.messages": {"en": "messages", "zh-CN": "消息"},
    "campaign.scope.reactions": {"en": "reactions", "zh-CN": "表情回应"},
    "campaign.scope.ugc": {"en": "approved content", "zh-CN": "通过审核的投稿"},
    "campaign.scope.all": {"en": "messages, reactions and approved content", "zh-CN": "消息、表情回应和投稿"},
    "campaign.status.scheduled": {"en": "scheduled", "zh-CN": "未开始"},
    "campaign.status.running": {"en": "running", "zh-CN": "进行中"},
    "campaign.status.ended": {"en": "ended", "zh-CN": "已结束"},
    "campaign.default_title": {"en": "{multiplier}x points", "zh-CN": "{multiplier} 倍积分"},
    "campaign.created": {"en": "Campaign #{id} \"{title}\" created: {multiplier}x points on {scope}, "
                               "from {start} to {end}.",
                         "zh-CN": "已创建活动 #{id}“{title}”：{scope} {multiplier} 倍积分，{start} 至 {end}。"},
    "campaign.ending": {"en": "Campaign #{id} \"{title}\" ended now; nothing earned from now on is "
                              "multiplied by it.",
                        "zh-CN": "活动 #{id}“{title}”已立即结束；此后获得的积分不再按它翻倍。"},
    "campaign.list_empty": {"en": "No campaigns yet. Moderators start one with /campaign create.",
                            "zh-CN": "还没有活动。管理员可以用 /campaign create 创建。"},
    "campaign.list_head": {"en": "Campaigns (newest first):", "zh-CN": "活动（最新的在前）："},
    "campaign.list_line": {"en": "#{id} {title}: {multiplier}x on {scope}, {start} to {end} ({status})",
                           "zh-CN": "#{id} {title}：{scope} {multiplier} 倍，{start} 至 {end}（{status}）"},
    "campaign.stats_head": {"en": "Campaign #{id} \"{title}\" ({status}): {multiplier}x on {scope}, "
                                  "{start} to {end}.",
                            "zh-CN": "活动 #{id}“{title}”（{status}）：{scope} {multiplier} 倍，{start} 至 {end}。"},
    "campaign.stats_points": {"en": "Points issued under it: {points:,} to {members:,} member(s), from "
                                    "{messages:,} message(s), {reactions:,} reaction(s) and {submissions:,} "
                                    "approved submission(s).",
                              "zh-CN": "该活动发放积分 {points:,}，共 {members:,} 位成员，来自 {messages:,} 条消息、"
                                       "{reactions:,} 个表情回应和 {submissions:,} 条通过审核的投稿。"},
    "campaigns.none": {"en": "No campaigns are running or coming up right now.",
                       "zh-CN": "目前没有正在进行或即将开始的活动。"},
    "campaigns.head": {"en": "Campaigns running and coming:", "zh-CN": "正在进行和即将开始的活动："},
    "campaigns.running": {"en": "Now: {title}, {multiplier}x points on {scope} until {end}",
                          "zh-CN": "进行中：{title}，{scope} {multiplier} 倍积分，至 {end}"},
    "campaigns.coming": {"en": "Coming: {title}, {multiplier}x points on {scope}, {start} to {end}",
                         "zh-CN": "即将开始：{title}，{scope} {multiplier} 倍积分，{start} 至 {end}"},
    "campaigns.member_day_multiplier": {"en": "{when}: {name}, {multiplier}x points on {scope} all day",
                                        "zh-CN": "{when}：{name}，全天{scope} {multiplier} 倍积分"},
    "campaigns.member_day_bonus": {"en": "{when}: {name}, {bonus:,} bonus points for your first message or "
                                         "approved submission of the day",
                                   "zh-CN": "{when}：{name}，当天第一条消息或第一条通过审核的投稿额外奖励 "
                                            "{bonus:,} 积分"},
    "campaigns.today": {"en": "Today", "zh-CN": "今天"},
    "campaign.announce_start": {"en": "{title} has started: {multiplier}x points on {scope} until {end}!",
                                "zh-CN": "{title} 开始啦：{scope} {multiplier} 倍积分，持续到 {end}！"},
    "campaign.announce_end": {"en": "{title} is over. Thanks for taking part: {points:,} points went to "
                                    "{members:,} member(s) under it.",
                              "zh-CN": "{title} 已结束。感谢参与：活动期间共有 {members:,} 位成员获得 {points:,} 积分。"},
    "campaign.announce_member_day_multiplier": {
        "en": "Today is {name}: {multiplier}x points on {scope} until midnight ({zone}).",
        "zh-CN": "今天是 {name}：{scope} {multiplier} 倍积分，持续到午夜（{zone}）。"},
    "campaign.announce_member_day_bonus": {
        "en": "Today is {name}: {bonus:,} bonus points for your first message or approved submission today "
              "({zone}).",
        "zh-CN": "今天是 {name}：今天（{zone}）第一条消息或第一条通过审核的投稿额外奖励 {bonus:,} 积分。"},
    "campaign.digest_title": {"en": "Campaigns", "zh-CN": "营销活动"},
    "campaign.digest_headline": {"en": "{points:,} points were issued under {count} campaign(s) in this "
                                       "period.",
                                 "zh-CN": "本期共有 {count} 个活动，发放积分 {points:,}。"},
    "campaign.digest_campaign": {"en": "campaign", "zh-CN": "活动"},
    "campaign.digest_when": {"en": "when", "zh-CN": "时间"},
    "campaign.digest_multiplier": {"en": "multiplier or bonus", "zh-CN": "倍数或奖励"},
    "campaign.digest_points": {"en": "points", "zh-CN": "积分"},
    "campaign.digest_members": {"en": "members", "zh-CN": "成员"},
    "campaign.digest_note": {"en": "points issued in the period by entries made under each campaign (the "
                                   "whole multiplied amount; member days include their flat bonuses)",
                             "zh-CN": "本期内各活动下记账的积分（按翻倍后的全额计；会员日包含固定奖励）"},
    "error.campaign_bad_kind": {"en": "'{value}' is not a campaign kind; use one of: {choices}.",
                                "zh-CN": "“{value}”不是活动类型；请使用：{choices}。"},
    "error.campaign_bad_scope": {"en": "'{value}' is not a scope; use one of: {choices}.",
                                 "zh-CN": "“{value}”不是翻倍范围；请使用：{choices}。"},
    "error.campaign_bad_multiplier": {"en": "'{value}' is not a multiplier; use a number such as 2 or 1.5 "
                                            "(at most two decimals).",
                                      "zh-CN": "“{value}”不是有效倍数；请使用 2 或 1.5 这样的数字（最多两位小数）。"},
    "error.campaign_multiplier_not_positive": {"en": "The multiplier must be above 0, got {value}.",
                                               "zh-CN": "倍数必须大于 0，收到的是 {value}。"},
    "error.campaign_multiplier_too_high": {"en": "The multiplier {value} is above this program's maximum of "
                                                 "{maximum}.",
                                           "zh-CN": "倍数 {value} 超过了本计划的上限 {maximum}。"},
    "error.campaign_start_past": {"en": "The start {start} is in the past (it is {now}); use a later time "
                                        "or now.",
                                  "zh-CN": "开始时间 {start} 已经过去（现在是 {now}）；请用更晚的时间或 now。"},
    "error.campaign_end_before_start": {"en": "The campaign's end {end} must be after its start {start}.",
                                        "zh-CN": "活动结束时间 {end} 必须晚于开始时间 {start}。"},
    "error.campaign_bad_id": {"en": "A campaign number is digits like 12, got '{value}'.",
                              "zh-CN": "活动编号应为 12 这样的数字，收到的是“{value}”。"},
    "error.campaign_unknown": {"en": "There is no campaign #{id} here. /campaign list shows this program's "
                                     "campaigns.",
                               "zh-CN": "这里没有 #{id} 号活动。用 /campaign list 查看本计划的活动。"},
    "error.campaign_already_ended": {"en": "Campaign #{id} has already ended.", "zh-CN": "活动 #{id} 已经结束。"},
}
