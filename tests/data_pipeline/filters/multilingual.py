"""Short well-formed paragraphs in several languages (written for these tests)."""

TEXTS = {
    "en": (
        "The old harbour of the town was rebuilt after the storm of 1953. Fishermen who had lost "
        "their boats received help from the council, and within two years the quay was busy "
        "again. Today the harbour is a place where families walk on Sunday afternoons, and the "
        "market that opens there every Friday sells fish, bread and vegetables from the farms "
        "around the bay."
    ),
    "de": (
        "Der alte Hafen der Stadt wurde nach dem Sturm von 1953 wieder aufgebaut. Die Fischer, "
        "die ihre Boote verloren hatten, bekamen Hilfe von der Gemeinde, und nach zwei Jahren "
        "war der Kai wieder voller Leben. Heute gehen Familien am Sonntag dort spazieren, und "
        "auf dem Markt, der jeden Freitag stattfindet, verkaufen die Bauern aus der Umgebung "
        "Fisch, Brot und Gemüse."
    ),
    "fr": (
        "Le vieux port de la ville a été reconstruit après la tempête de 1953. Les pêcheurs qui "
        "avaient perdu leurs bateaux ont reçu l'aide de la commune, et en deux ans le quai a "
        "retrouvé son activité. Aujourd'hui, les familles s'y promènent le dimanche, et le "
        "marché qui s'y tient chaque vendredi propose du poisson, du pain et des légumes des "
        "fermes de la baie."
    ),
    "es": (
        "El viejo puerto de la ciudad fue reconstruido después de la tormenta de 1953. Los "
        "pescadores que habían perdido sus barcos recibieron ayuda del ayuntamiento, y en dos "
        "años el muelle volvió a estar lleno de vida. Hoy las familias pasean por allí los "
        "domingos, y en el mercado que se celebra cada viernes se vende pescado, pan y verduras "
        "de las granjas de la bahía."
    ),
    "ru": (
        "Старый порт города был восстановлен после шторма 1953 года. Рыбаки, которые потеряли "
        "свои лодки, получили помощь от городского совета, и через два года на причале снова "
        "кипела жизнь. Сегодня семьи гуляют там по воскресеньям, а на рынке, который работает "
        "каждую пятницу, продают рыбу, хлеб и овощи с ферм вокруг залива. Это место любят и "
        "жители, и туристы."
    ),
    "ja": (
        "この町の古い港は一九五三年の嵐のあとに再建されました。船を失った漁師たちは町から援助を受け、"
        "二年後には岸壁に再びにぎわいが戻りました。今では日曜日の午後に家族連れが散歩を楽しんでいます。"
        "毎週金曜日に開かれる市場では、湾の周りの農家が作った野菜や魚、パンが売られています。"
        "観光客にも地元の人にも人気のある場所です。"
    ),
    "zh": (
        "这个城市的老港口在一九五三年的风暴之后重建了。失去渔船的渔民得到了市政府的帮助，"
        "两年以后码头又恢复了热闹。现在每到星期天下午，很多家庭都会来这里散步。"
        "每个星期五开放的市场上，附近农场的农民在这里卖鱼、面包和新鲜的蔬菜。"
        "这里是当地居民和游客都很喜欢的地方。"
    ),
}
