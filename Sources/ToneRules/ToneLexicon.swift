/// The only words the rules may change. Everything else in an answer — numbers, dates, names,
/// acronyms, Chinese terms other than the child tone's hard words (``ChineseLexicon``) — passes
/// through verbatim; jargon expansion and the language note only add text.
/// Tests use these lists to tell "a rewritable common word" from "a fact that must survive".
public enum ToneLexicon {
    /// Simpler words for children (and, for clarity, elders): a short, safe list.
    static let simpleWords: [(String, String)] = [
        ("approximately", "about"), ("utilize", "use"), ("utilise", "use"), ("utilizes", "uses"), ("utilises", "uses"),
        ("utilized", "used"), ("utilised", "used"), ("utilizing", "using"), ("utilising", "using"),
        ("establish", "start"), ("establishes", "starts"), ("established", "started"), ("establishing", "starting"),
        ("commence", "start"), ("commences", "starts"), ("commenced", "started"), ("founded", "started"),
        ("purchased", "bought"),
        ("assist", "help"), ("assists", "helps"), ("assisted", "helped"), ("assistance", "help"),
        ("facilitate", "help"), ("facilitates", "helps"), ("numerous", "many"), ("additional", "more"),
        ("sufficient", "enough"), ("demonstrate", "show"), ("demonstrates", "shows"), ("demonstrated", "showed"),
        ("obtain", "get"), ("obtains", "gets"), ("obtained", "got"), ("require", "need"), ("requires", "needs"),
        ("required", "needed"), ("individuals", "people"), ("however,", "but"), ("therefore", "so"),
        ("consequently", "so"), ("in order to", "to"), ("primarily", "mostly"), ("currently", "now"),
        ("objectives", "goals"), ("construct", "build"), ("constructed", "built"),
        ("innovative", "new"), ("subsequently", "later"), ("component", "part"), ("components", "parts"),
        ("enormous", "huge"), ("modify", "change"), ("modified", "changed"), ("inquire", "ask"),
        ("regarding", "about"), ("prior to", "before"), ("frequently", "often"), ("rapidly", "quickly"),
        ("manufacture", "make"), ("manufactures", "makes"), ("manufactured", "made"), ("beverage", "drink"),
        ("beverages", "drinks"), ("automobile", "car"), ("automobiles", "cars"), ("nevertheless", "still"),
        ("labor-intensive industries", "industries that need many workers"), ("labour-intensive industries", "industries that need many workers"),
        ("labor-intensive", "needing many workers"), ("labour-intensive", "needing many workers"), ("homegrown", "local"),
        ("headquartered", "based"), ("commissioned", "asked for"), ("credited with", "praised for"), ("launching", "starting"),
        ("subsidiary", "branch company"), ("emerging", "new"), ("collaborate", "work together"), ("collaborates", "works together"),
        ("collaborating", "working together"), ("collaboration", "teamwork"), ("pioneered", "was the first with"),
        ("integrated circuit", "computer chip"), ("integrated circuits", "computer chips"), ("commercialize", "turn into products"),
        ("commercialized", "turned into products"), ("commercialization", "turning ideas into products"), ("renowned", "famous"),
        ("prestigious", "famous"), ("facility", "building"), ("facilities", "buildings"), ("laboratory", "lab"), ("laboratories", "labs"),
        ("personnel", "staff"), ("participate", "take part"), ("participated", "took part"), ("dedicated", "special"),
        ("incubated", "helped grow"), ("infrastructure", "basic systems"), ("sustainable", "earth-friendly"),
        ("comprehensive", "full"), ("significant", "big"), ("significantly", "a lot"), ("contribute", "help"), ("contributed", "helped"),
        ("encompasses", "covers"), ("initiative", "plan"), ("initiatives", "plans"), ("strategic", "planned"), ("expertise", "know-how"),
    ]

    /// Relaxed words for the casual tone.
    static let casualWords: [(String, String)] = [
        ("approximately", "about"), ("children", "kids"), ("therefore", "so"), ("utilize", "use"),
        ("utilizes", "uses"), ("purchased", "bought"), ("in order to", "to"),
        ("numerous", "lots of"), ("individuals", "people"), ("however,", "but"), ("purchase", "buy"), ("assist", "help"),
        ("additional", "more"), ("obtain", "get"), ("regarding", "about"), ("commence", "start"), ("require", "need"),
        ("requires", "needs"), ("nevertheless", "still"),
    ]

    /// Formal words for the professional tone.
    static let formalWords: [(String, String)] = [
        ("kids", "children"), ("kid", "child"), ("yeah", "yes"), ("yep", "yes"), ("nope", "no"),
        ("maybe", "perhaps"), ("awesome", "excellent"), ("huge", "substantial"), ("gonna", "going to"),
        ("wanna", "want to"), ("gotta", "have to"), ("not just", "not merely"),
    ]

    /// Words the professional tone drops (a few are rewritten: "just 5" → "only 5").
    static let fillerWords = [
        "basically", "actually", "really", "just", "literally", "honestly", "totally", "frankly", "you know",
        "i mean", "like", "so", "well", "okay", "ok", "oh", "um", "uh", "hmm", "anyway", "anyways", "look", "listen",
        "only", "approximately", "about", "around", "roughly",
    ]

    /// Words taking part in contractions, either way ("do not" ↔ "don't").
    static let contractionWords = [
        "do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "would", "could", "should", "must",
        "need", "not", "can", "cannot", "won", "will", "shall", "shan", "it", "that", "there", "what", "who", "here",
        "where", "how", "he", "she", "i", "you", "we", "they", "am", "let", "us", "s", "re", "ve", "ll", "m", "t",
        "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "hasn", "haven", "hadn", "wouldn", "couldn",
        "shouldn", "mustn", "needn", "can't", "been", "going", "to", "want",
    ]

    /// Common words a sentence may start with, which the rules may lower-case behind an
    /// interjection ("So, the lab…") or capitalise after a split ("… 1973. It now…").
    static let casingWords = [
        "the", "it", "this", "that", "there", "these", "those", "they", "we", "you", "its", "their", "our", "most",
        "many", "some", "a", "an", "in", "on", "at", "for", "he", "she", "his", "her", "each", "every", "one",
        "and", "but", "so", "also", "later", "still",
    ]

    /// Lower-case English words the rules may replace, remove, contract or re-case.
    public static let englishWords: Set<String> = {
        var words = Set<String>()
        func add(_ phrase: String) {
            for w in phrase.lowercased().split(whereSeparator: { !$0.isLetter }) { words.insert(String(w)) }
        }
        for (a, b) in simpleWords + casualWords + formalWords { add(a); add(b) }
        for w in fillerWords + contractionWords + casingWords { add(w) }
        return words
    }()

    /// Chinese fillers the professional tone removes.
    static let chineseFillers = ["其實", "基本上", "就是說", "說真的", "老實說", "坦白說", "嗯", "欸", "呃"]

    /// Sentence-final particles (added by the child and casual tones, dropped by the professional one).
    static let chineseParticles: [Character] = ["喔", "呢", "啊", "啦", "吧", "耶", "呀", "唷", "哦", "嗎"]

    /// Chinese terms the rules may replace or remove: the pronouns 你/您 (swapped for politeness),
    /// the fillers and the sentence-final particles.
    /// And the child tone's hard words and their plain words (``ChineseLexicon``).
    public static let chineseTerms: [String] = ["你", "您"] + chineseFillers + chineseParticles.map { String($0) } + ChineseLexicon.terms
        + ["並且", "而且", "並"]  // the child tone starts a cut-off "，並…" as "而且…"
}
