"""The demo's projects (楼盘), service touchpoints and survey channels, shared by every demo generator."""

PROJECTS = [
    ("P01", "翠湖苑", "Emerald Lake Garden"),
    ("P02", "锦江华府", "Jinjiang Mansion"),
    ("P03", "滨江一号", "Riverside No.1"),
    ("P04", "云顶山庄", "Cloud Peak Villas"),
    ("P05", "未来城", "Future City"),
    ("P06", "香榭里", "Champs Residence"),
]
TOUCHPOINTS = [
    ("hotline", "客服热线"),
    ("repair", "报修维修"),
    ("property_management", "物业服务"),
    ("delivery", "交付验房"),
]
CHANNELS = [("wechat", "微信问卷"), ("sms_web", "短信链接"), ("return_visit_call", "回访电话")]
