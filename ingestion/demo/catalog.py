"""Fixed vocabulary of the simulated business: channels, stages, tags, products, names, ad campaigns."""

from __future__ import annotations

CURRENCY = "USD"
BUSINESS = "Northwind Living"  # made-to-order furniture sold through chat, ads and a web shop

# respond.io channels of the workspace: (channel_id, channel_type)
CHANNEL_TYPES = ["whatsapp", "instagram", "messenger", "tiktok", "email", "webchat"]
WA, IG, MS, TT, EM, WC = range(6)
CHANNEL_IDS = [310201, 310202, 310203, 310204, 310205, 310206]
ENTRY_CHANNEL_WEIGHTS = [0.45, 0.20, 0.12, 0.07, 0.07, 0.09]

# respond.io lifecycle (the engine's preset relies on these exact names)
STAGE_NEW, STAGE_HOT, STAGE_PAYMENT, STAGE_CUSTOMER = "New Lead", "Hot Lead", "Payment", "Customer"
STAGE_COLD, STAGE_UNQUALIFIED, STAGE_LOST = "Cold Lead", "Unqualified", "Lost to Competitor"
STAGES = [STAGE_NEW, STAGE_HOT, STAGE_PAYMENT, STAGE_CUSTOMER, STAGE_COLD, STAGE_UNQUALIFIED, STAGE_LOST]

# Tags (first five are the meaningful ones, the rest are noise a real workspace has)
TAGS = ["qualified", "unqualified", "quote-sent", "lost-to-competitor", "vip",
        "follow-up", "newsletter", "wholesale", "returning", "spam", "priority", "spanish-speaker"]
TAG = {t: i for i, t in enumerate(TAGS)}

OPENED_BY = ["contact", "user", "workflow", "broadcast", "api"]
CLOSING = ["Resolved", "Sale", "Spam", "No response", "Not interested", None]
CL_RESOLVED, CL_SALE, CL_SPAM, CL_NORESPONSE, CL_NOTINTERESTED, CL_NONE = range(6)
TEAMS = ["Sales", "Support"]

HUBSPOT_STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                  "customer", "evangelist"]
DEAL_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
               "contractsent", "closedwon", "closedlost"]
LOST_REASONS = ["Chose a competitor", "Price", "No budget", "No response"]

# Products: (product_id, title, unit price, is_big_item)
PRODUCTS = [
    (8101, "Harbour 3-Seater Sofa", 1299.00, True),
    (8102, "Harbour Corner Sofa", 1899.00, True),
    (8103, "Oslo Dining Table", 849.00, True),
    (8104, "Oslo Dining Chair", 189.00, True),
    (8105, "Linen Armchair", 649.00, True),
    (8106, "Oak Bed Frame", 999.00, True),
    (8107, "Walnut Sideboard", 1149.00, True),
    (8108, "Rattan Lounge Chair", 429.00, True),
    (8201, "Linen Cushion Cover", 35.00, False),
    (8202, "Wool Throw", 79.00, False),
    (8203, "Ceramic Table Lamp", 119.00, False),
    (8204, "Jute Rug 160x230", 229.00, False),
    (8205, "Fabric Care Kit", 25.00, False),
    (8206, "Scented Candle Trio", 39.00, False),
    (8207, "Oak Side Table", 199.00, False),
]

FIRST_NAMES = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Lily", "Emily", "Sophia", "Chloe", "Ella",
    "Harper", "Zara", "Maya", "Priya", "Aisha", "Fatima", "Lucia", "Sofia", "Hannah", "Ruby", "Evie", "Nina",
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Charlie", "Jacob", "Ethan", "Liam",
    "Mason", "Lucas", "Mateo", "Omar", "Yusuf", "Arjun", "Kai", "Daniel", "Samuel", "Isaac", "Theo", "Marcus",
]
LAST_NAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "Khan", "Ali", "Garcia", "Martinez", "Lopez", "Nguyen", "Kim", "Chen", "Singh", "Murphy", "Kelly",
    "OConnor", "Rossi", "Silva", "Novak", "Cohen", "Baker", "Carter", "Mitchell", "Turner", "Phillips",
]
LANGUAGES = ["en", "es", "fr", "de", "pt"]
LANGUAGE_WEIGHTS = [0.86, 0.06, 0.03, 0.03, 0.02]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]

# Ad campaigns. (name, objective, destination, optimisation goal, active from..to as fraction of the period,
#                adsets, ads per adset, relative budget)
META_ACCOUNT = "1029384756"
META_CAMPAIGNS = [
    ("CTWA | Always-on | Sofas", "OUTCOME_ENGAGEMENT", "WHATSAPP", "CONVERSATIONS", 0.00, 1.00, 2, 3, 1.0),
    ("CTWA | Spring Sale", "OUTCOME_ENGAGEMENT", "WHATSAPP", "CONVERSATIONS", 0.40, 0.62, 1, 3, 1.6),
    ("CTWA | Dining Test", "OUTCOME_ENGAGEMENT", "WHATSAPP", "CONVERSATIONS", 0.00, 0.22, 1, 2, 0.5),
    ("Click to Messenger | Prospecting", "OUTCOME_ENGAGEMENT", "MESSENGER", "CONVERSATIONS", 0.00, 1.00, 1, 2, 0.6),
    ("Click to Instagram DM | Creators", "OUTCOME_ENGAGEMENT", "INSTAGRAM_DIRECT", "CONVERSATIONS", 0.12, 1.00, 1, 3, 0.8),
    ("Website Sales | Retargeting", "OUTCOME_SALES", "WEBSITE", "OFFSITE_CONVERSIONS", 0.00, 1.00, 2, 2, 1.0),
    ("Website Traffic | Lookalike", "OUTCOME_TRAFFIC", "WEBSITE", "LINK_CLICKS", 0.45, 1.00, 1, 2, 0.7),
]
META_DESTINATION_CHANNEL = {"WHATSAPP": WA, "MESSENGER": MS, "INSTAGRAM_DIRECT": IG}

TIKTOK_ADVERTISER = "7301846259013467137"
TIKTOK_CAMPAIGNS = [
    ("TT | Traffic | Living Room", "TRAFFIC", "CLICK", 0.00, 1.00, 2, 2, 1.0),
    ("TT | Conversions | Summer Drop", "CONVERSIONS", "CONVERT", 0.55, 1.00, 1, 3, 1.3),
    ("TT | Spark Ads | Creators", "TRAFFIC", "CLICK", 0.10, 0.70, 1, 2, 0.6),
]
