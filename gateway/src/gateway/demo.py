"""The demo units and accounts of the embedded default (DESIGN §6). Password demo12345 for all."""

from dataclasses import dataclass

DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class DemoOrg:
    org_id: str  # unified social credit code (统一社会信用代码) format
    name: str
    kind: str  # purchaser | supplier | agency
    address: str
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    org_id: str
    role: str


AGENCY = DemoOrg("12430000MB1A46001K", "湖南省政府采购中心", "agency", "湖南省长沙市芙蓉区五一大道 1 号",
                 "周晓红", "0731-88880001")
PURCHASER_A = DemoOrg("11430000006100011A", "湖南省教育厅", "purchaser", "湖南省长沙市开福区湘江中路 2 段 116 号",
                      "李明", "0731-84710001")
PURCHASER_B = DemoOrg("11430000006100022B", "湖南省卫生健康委员会", "purchaser", "湖南省长沙市开福区湘雅路 30 号",
                      "王芳", "0731-84822001")
SUPPLIERS = (
    DemoOrg("91430100MA4L1A0011", "湖南潇湘物业管理有限公司", "supplier", "长沙市岳麓区麓谷大道 658 号",
            "陈刚", "13807310001"),
    DemoOrg("91430100MA4L1A0022", "长沙岳麓印务有限公司", "supplier", "长沙市岳麓区桐梓坡路 88 号",
            "刘洋", "13807310002"),
    DemoOrg("91430100MA4L1A0033", "湖南星城会务服务有限公司", "supplier", "长沙市天心区芙蓉南路 368 号",
            "张静", "13807310003"),
    DemoOrg("91430100MA4L1A0044", "湖南湘江汽车维修服务有限公司", "supplier", "长沙市雨花区万家丽中路 99 号",
            "赵磊", "13807310004"),
    DemoOrg("91430100MA4L1A0055", "湖南麓山律师事务所", "supplier", "长沙市开福区芙蓉中路 1 段 478 号",
            "孙婷", "13807310005"),
    DemoOrg("91430100MA4L1A0066", "湖南橘洲综合服务有限公司", "supplier", "长沙市岳麓区潇湘中路 328 号",
            "周杰", "13807310006"),
)
ORGS = (AGENCY, PURCHASER_A, PURCHASER_B, *SUPPLIERS)

USERS = (
    DemoUser("agency", "周晓红（征集人）", AGENCY.org_id, "agency"),
    DemoUser("purchaser-a", "李明（湖南省教育厅）", PURCHASER_A.org_id, "purchaser"),
    DemoUser("purchaser-b", "王芳（湖南省卫生健康委员会）", PURCHASER_B.org_id, "purchaser"),
    *(DemoUser(f"supplier-{i}", org.contact_name, org.org_id, "supplier") for i, org in enumerate(SUPPLIERS, 1)),
)
ORG_BY_ID = {org.org_id: org for org in ORGS}
