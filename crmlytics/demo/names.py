"""Word pools for the demo data: bilingual names, places, products and complaint templates.

Everything here is invented. Phone numbers and e-mail addresses built from these pools use the
reserved ``example.com`` domain and random digits; company, bureau and competitor names are made
up from generic words.
"""

from __future__ import annotations

# (surname, pinyin, relative frequency) — the most common Chinese surnames, roughly by frequency.
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.1),
    ("李", "li", 7.0),
    ("张", "zhang", 6.7),
    ("刘", "liu", 5.4),
    ("陈", "chen", 4.5),
    ("杨", "yang", 3.1),
    ("黄", "huang", 2.2),
    ("赵", "zhao", 2.0),
    ("吴", "wu", 2.0),
    ("周", "zhou", 1.9),
    ("徐", "xu", 1.3),
    ("孙", "sun", 1.2),
    ("马", "ma", 1.1),
    ("朱", "zhu", 1.1),
    ("胡", "hu", 1.0),
    ("郭", "guo", 1.0),
    ("何", "he", 0.9),
    ("高", "gao", 0.9),
    ("林", "lin", 0.9),
    ("罗", "luo", 0.8),
    ("郑", "zheng", 0.8),
    ("梁", "liang", 0.7),
    ("谢", "xie", 0.6),
    ("宋", "song", 0.5),
    ("唐", "tang", 0.5),
    ("韩", "han", 0.4),
    ("冯", "feng", 0.4),
    ("邓", "deng", 0.4),
    ("曹", "cao", 0.4),
    ("彭", "peng", 0.3),
)

# (given name, pinyin)
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("娜", "na"),
    ("芳", "fang"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂英", "guiying"),
    ("建华", "jianhua"),
    ("文", "wen"),
    ("晨", "chen"),
    ("欣怡", "xinyi"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("宇轩", "yuxuan"),
    ("婷", "ting"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("玲", "ling"),
    ("俊杰", "junjie"),
    ("雪", "xue"),
    ("倩", "qian"),
    ("博", "bo"),
    ("颖", "ying"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
)

ENGLISH_FIRST: tuple[str, ...] = (
    "James",
    "Mary",
    "John",
    "Linda",
    "Michael",
    "Sarah",
    "David",
    "Emma",
    "Daniel",
    "Olivia",
    "Peter",
    "Grace",
    "Thomas",
    "Lucy",
    "William",
    "Sophie",
    "Kevin",
    "Anna",
    "Mark",
    "Helen",
)

ENGLISH_LAST: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Lee",
    "Chan",
    "Wong",
    "Miller",
    "Davis",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
    "Green",
    "Baker",
    "Hall",
    "Wright",
    "Scott",
)

# region -> (share of customers, ((city, pinyin, telephone area code), ...))
REGIONS: dict[str, tuple[float, tuple[tuple[str, str, str], ...]]] = {
    "华东": (
        0.32,
        (
            ("上海", "shanghai", "021"),
            ("杭州", "hangzhou", "0571"),
            ("南京", "nanjing", "025"),
            ("苏州", "suzhou", "0512"),
            ("宁波", "ningbo", "0574"),
        ),
    ),
    "华北": (
        0.20,
        (
            ("北京", "beijing", "010"),
            ("天津", "tianjin", "022"),
            ("石家庄", "shijiazhuang", "0311"),
        ),
    ),
    "华南": (
        0.18,
        (("广州", "guangzhou", "020"), ("深圳", "shenzhen", "0755"), ("厦门", "xiamen", "0592")),
    ),
    "华中": (
        0.10,
        (("武汉", "wuhan", "027"), ("长沙", "changsha", "0731"), ("郑州", "zhengzhou", "0371")),
    ),
    "西南": (
        0.10,
        (("成都", "chengdu", "028"), ("重庆", "chongqing", "023"), ("昆明", "kunming", "0871")),
    ),
    "西北": (0.05, (("西安", "xian", "029"), ("兰州", "lanzhou", "0931"))),
    "东北": (
        0.05,
        (("沈阳", "shenyang", "024"), ("哈尔滨", "haerbin", "0451"), ("大连", "dalian", "0411")),
    ),
}

# (brand, pinyin) for invented company names like 上海华信贸易有限公司
BRANDS: tuple[tuple[str, str], ...] = (
    ("华信", "huaxin"),
    ("恒通", "hengtong"),
    ("鼎盛", "dingsheng"),
    ("瑞丰", "ruifeng"),
    ("中联", "zhonglian"),
    ("宏达", "hongda"),
    ("天成", "tiancheng"),
    ("金桥", "jinqiao"),
    ("远景", "yuanjing"),
    ("博雅", "boya"),
    ("新元", "xinyuan"),
    ("汇通", "huitong"),
    ("德润", "derun"),
    ("永泰", "yongtai"),
    ("嘉禾", "jiahe"),
    ("安盛", "ansheng"),
    ("正邦", "zhengbang"),
    ("星河", "xinghe"),
    ("润泽", "runze"),
    ("合众", "hezhong"),
)
INDUSTRIES: tuple[str, ...] = (
    "贸易",
    "科技",
    "物流",
    "餐饮管理",
    "商贸",
    "电子",
    "食品",
    "文化传媒",
    "酒店管理",
    "医药",
)
COMPANY_SUFFIXES: tuple[str, ...] = ("有限公司", "有限公司", "股份有限公司")
PARTNER_SUFFIXES: tuple[str, ...] = ("渠道服务有限公司", "咨询有限公司", "供应链有限公司")
BUREAUS: tuple[str, ...] = (
    "市教育局",
    "市卫生健康委员会",
    "市交通运输局",
    "市财政局",
    "市市场监督管理局",
    "市第一人民医院",
    "市图书馆",
    "市人民政府办公室",
)
ENGLISH_BRANDS: tuple[str, ...] = (
    "Northwind",
    "Bluepeak",
    "Silverline",
    "Redwood",
    "Harbor",
    "Summit",
    "Evergreen",
    "Lakeside",
    "Oakridge",
    "Brightstar",
)
ENGLISH_INDUSTRIES: tuple[str, ...] = ("Trading", "Foods", "Logistics", "Technology", "Retail")
ENGLISH_SUFFIXES: tuple[str, ...] = ("Ltd.", "Co., Ltd.", "Inc.")

# category key -> (Chinese label, cost as a share of the amount, share of sale lines returned)
CATEGORIES: dict[str, tuple[str, float, float]] = {
    "tea": ("茶叶", 0.62, 0.015),
    "teaware": ("茶具", 0.66, 0.040),
    "coffee": ("咖啡", 0.64, 0.015),
    "snacks": ("零食", 0.70, 0.020),
    "dairy": ("乳制品", 0.74, 0.010),
    "drinks": ("饮料", 0.72, 0.010),
    "household": ("家居", 0.68, 0.045),
    "electronics": ("数码", 0.75, 0.070),
}

# product_id -> (bilingual name, category, list price, launch date); the first product of each
# category launched before the demo's history starts, some later ones launch inside it.
PRODUCTS: tuple[tuple[str, str, str, float, str], ...] = (
    ("P001", "绿茶 Green tea", "tea", 68.0, "2020-03-01"),
    ("P002", "红茶 Black tea", "tea", 58.0, "2020-03-01"),
    ("P003", "乌龙茶 Oolong tea", "tea", 88.0, "2020-09-15"),
    ("P004", "普洱茶 Pu-erh tea", "tea", 128.0, "2021-04-01"),
    ("P005", "茉莉花茶 Jasmine tea", "tea", 48.0, "2023-05-20"),
    ("P006", "玻璃茶杯 Glass tea cup", "teaware", 38.0, "2020-03-01"),
    ("P007", "紫砂壶 Clay teapot", "teaware", 268.0, "2020-03-01"),
    ("P008", "茶盘 Tea tray", "teaware", 158.0, "2021-01-10"),
    ("P009", "公道杯 Fair cup", "teaware", 45.0, "2021-06-01"),
    ("P010", "茶具礼盒 Tea set gift box", "teaware", 398.0, "2023-09-01"),
    ("P011", "咖啡豆 Coffee beans", "coffee", 98.0, "2020-03-01"),
    ("P012", "咖啡滤纸 Coffee filters", "coffee", 15.0, "2020-03-01"),
    ("P013", "挂耳咖啡 Drip coffee bags", "coffee", 59.0, "2021-08-01"),
    ("P014", "速溶咖啡 Instant coffee", "coffee", 39.0, "2020-03-01"),
    ("P015", "冷萃咖啡 Cold brew", "coffee", 26.0, "2024-05-01"),
    ("P016", "坚果礼盒 Mixed nuts box", "snacks", 128.0, "2020-03-01"),
    ("P017", "牛肉干 Beef jerky", "snacks", 45.0, "2020-03-01"),
    ("P018", "凤梨酥 Pineapple cakes", "snacks", 52.0, "2021-02-01"),
    ("P019", "月饼礼盒 Mooncake gift box", "snacks", 188.0, "2022-08-01"),
    ("P020", "果干 Dried fruit", "snacks", 36.0, "2022-03-01"),
    ("P021", "纯牛奶 Whole milk", "dairy", 65.0, "2020-03-01"),
    ("P022", "酸奶 Yogurt", "dairy", 32.0, "2020-03-01"),
    ("P023", "奶酪 Cheese", "dairy", 58.0, "2021-05-01"),
    ("P024", "奶粉 Milk powder", "dairy", 268.0, "2020-03-01"),
    ("P025", "黄油 Butter", "dairy", 42.0, "2022-11-01"),
    ("P026", "矿泉水 Mineral water", "drinks", 28.0, "2020-03-01"),
    ("P027", "果汁 Fruit juice", "drinks", 35.0, "2020-03-01"),
    ("P028", "苏打水 Soda water", "drinks", 30.0, "2021-07-01"),
    ("P029", "椰子水 Coconut water", "drinks", 42.0, "2023-06-01"),
    ("P030", "气泡酒 Sparkling wine", "drinks", 158.0, "2022-12-01"),
    ("P031", "保温杯 Vacuum flask", "household", 129.0, "2020-03-01"),
    ("P032", "餐具套装 Tableware set", "household", 199.0, "2020-03-01"),
    ("P033", "收纳盒 Storage box", "household", 49.0, "2021-03-01"),
    ("P034", "香薰蜡烛 Scented candle", "household", 79.0, "2022-10-01"),
    ("P035", "毛巾套装 Towel set", "household", 59.0, "2020-03-01"),
    ("P036", "蓝牙音箱 Bluetooth speaker", "electronics", 299.0, "2020-03-01"),
    ("P037", "充电宝 Power bank", "electronics", 129.0, "2020-03-01"),
    ("P038", "无线耳机 Wireless earphones", "electronics", 199.0, "2021-09-01"),
    ("P039", "电动磨豆机 Electric coffee grinder", "electronics", 359.0, "2023-09-01"),
    ("P040", "电热水壶 Electric kettle", "electronics", 169.0, "2020-03-01"),
)

# Complaint description templates per category: {product} is filled with the product's name in
# the template's language, {days} and {amount} with numbers.
COMPLAINT_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "zh": (
            "快递延误，下单{days}天了还没有送到，物流信息一直不更新",
            "物流太慢，{product}的包裹外箱破损",
            "配送员没有送货上门，物流电话也打不通",
            "发货发错了地址，快递延误{days}天",
        ),
        "en": (
            "Delivery delayed by {days} days, the parcel has still not arrived",
            "The {product} package arrived damaged and the courier was late",
            "Courier did not deliver to the door, tracking not updated for {days} days",
        ),
    },
    "quality": {
        "zh": (
            "{product}有质量问题，收到就是坏的，要求退换",
            "收到的{product}包装破损，质量有问题",
            "{product}和描述不符，质量很差，要求退款",
            "{product}有异味，质量太差，已经第{days}天了还没人处理",
        ),
        "en": (
            "The {product} was defective, broken on arrival",
            "The {product} does not match the description, poor quality",
            "Bad quality {product}, I want a refund",
        ),
    },
    "billing": {
        "zh": (
            "重复扣款{amount}元，要求退款",
            "发票金额不对，账单多收了{amount}元",
            "优惠券没有抵扣，账单金额有误",
            "退款{days}天了还没有到账，账单查不到",
        ),
        "en": (
            "I was charged twice ({amount} yuan), please refund the extra charge",
            "The invoice amount on my bill is wrong by {amount} yuan",
            "My coupon was not applied to the bill",
        ),
    },
    "service": {
        "zh": (
            "客服电话一直打不通，等了很久没人接",
            "客服态度很差，问题{days}天都没有解决",
            "门店店员服务态度不耐烦",
            "在线客服回复太慢，服务很差",
        ),
        "en": (
            "Customer service never answers the phone, waited a long time",
            "Rude service staff, my issue is still not solved after {days} days",
            "Support replies far too slowly, poor service",
        ),
    },
}

COMPETITORS: tuple[str, ...] = ("Zenith 天启", "Apex 顶峰", "Nova 新星", "Orion 猎户")
