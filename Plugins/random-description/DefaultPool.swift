/// The simulator's built-in pool of visitor descriptions, written the way a camera-side vision
/// model would describe a visitor. Roughly ten per tone category (child, elder, professional,
/// casual), half in English and half in Traditional Chinese, plus edge cases: an empty
/// description, a very long one, one with emoji and special characters, and mixed languages.
let defaultDescriptionPool: [String] = [
    // Children and students
    "A small boy in a dinosaur T-shirt holding a red balloon",
    "A girl of about eight with a pink backpack, pointing at a robot arm",
    "A group of students in matching school uniforms following a teacher",
    "A toddler riding on his father's shoulders",
    "A teenager wearing headphones and a grey hoodie",
    "一位穿著制服的小學生，手裡拿著學習單",
    "兩個小朋友牽著手在展場裡跑來跑去",
    "一個小孩抱著恐龍玩偶，好奇地看著螢幕",
    "一群戴著黃色小帽的兒童正在排隊",
    "一位背著書包的國中學生",

    // Elderly visitors
    "An elderly man with gray hair reading an exhibit panel",
    "An old woman walking slowly with a cane",
    "A senior citizen in a wheelchair pushed by a family member",
    "A grandfather holding his grandson's hand",
    "A man with grey hair leaning on a walking stick",
    "一位拄著拐杖的老爺爺",
    "一位滿頭銀髮的老奶奶，戴著老花眼鏡",
    "一位坐輪椅的長者由家人陪同",
    "一位穿西裝的年長紳士拄著拐杖",
    "一位老奶奶帶著孫子在看展覽",

    // Business and formal visitors
    "A man in a dark suit and tie carrying a briefcase",
    "A woman in a navy blazer checking messages on her phone",
    "A business delegation in formal attire with visitor badges",
    "An office worker with an ID lanyard and a laptop bag",
    "A young woman in formal business attire holding a folder",
    "一位穿著深色西裝、打著領帶的男士",
    "一位提著公事包的商務人士",
    "一群穿著正式服裝的訪客正在交換名片",
    "一位穿西裝外套的女性正在看手機",
    "一位打領帶的年輕上班族",

    // Everyone else
    "A young couple in jeans taking selfies in front of the exhibits",
    "A tourist with a big backpack and a folded map",
    "A woman with her hair tied in a ponytail, wearing sneakers",
    "A traveler pulling a suitcase, looking around curiously",
    "A man in a baseball cap and shorts drinking bubble tea",
    "一對穿著牛仔褲的年輕情侶在自拍",
    "一位背著後背包的外國觀光客",
    "一位戴著棒球帽、穿短褲的年輕男子",
    "一家人在展場裡悠閒地散步",
    "一位揹著相機的年輕老師正在拍照",

    // Edge cases
    "",
    "A tall man in his thirties stands near the entrance of the exhibition hall, wearing a faded green rain jacket, cargo shorts and muddy hiking shoes. He carries a large camera around his neck and a water bottle clipped to a backpack covered in travel patches from Japan, Peru and Iceland. He is smiling, looking up at the ceiling displays, and seems to be waiting for friends who are still buying snacks at the kiosk near the door.",
    "😀🎒 A visitor in a T-shirt reading \"I <3 Chips & Code\" stands by a <demo> sign that shows the path C:\\ITRI\\demo",
    "一位穿 hoodie 的 tourist 正在用 phone 拍攝 robot 展品",
]
