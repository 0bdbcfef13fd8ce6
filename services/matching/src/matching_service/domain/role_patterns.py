"""The wording that tells what a clause is for, as regular expressions and word lists.

All patterns read text as :func:`~matching_service.domain.clause_splitting.normalise`
gives it (lower case, straight apostrophes, single spaces). Request frames ("I'd like
support with") and offer frames ("I can help with") are stripped from goals and offers;
the markers of small talk, self-description and preferences give the other roles
(:func:`matching_service.domain.roles.classify`); preferences also become suggested
filters (:mod:`matching_service.domain.suggested_filters`).
"""

from __future__ import annotations

import re

_LEAD = (
    r"^(?:(?:and|but|so|also|really|mainly|mostly|primarily|ultimately|now|then|overall|"
    r"basically|honestly|in particular|particularly|specifically|above all|most of all|"
    r"in short|ideally|personally|right now|at the moment|this year|next)\s+)*"
)
_HELP_NOUN = (
    r"(?:(?:some|a|an|any|more|extra|practical|real|good|honest)\s+)*"
    r"(?:mentor(?:ing)?|coach(?:ing)?|someone|somebody|a person|person|support|help|"
    r"advice|guidance|input|pointers|tips|sounding board|steer)"
    r"(?:\s+(?:and|or)\s+(?:support|advice|guidance|help|challenge))?"
)
_WHO = (
    r"(?:\s+(?:who|that|to)(?:\s+(?:can|could|would|will|might|is able to))?"
    r"(?:\s+(?:help|support|guide|advise|coach|mentor|show|teach|work with))?(?:\s+me)?)?"
)
_GROW_VERB = (
    r"(?:get better at|get better with|improve(?: on)?|develop|build(?: up)?|strengthen|grow|"
    r"learn(?: more)?(?: about)?|work on|understand|gain|get into|become|move into|explore|"
    r"focus on|brush up(?: on)?|sharpen|master|expand|progress(?: in| into)?|know more about|"
    r"find out (?:more )?about|get to grips with|step up (?:in|into)|"
    r"be better at|be more|feel more|increase|boost|broaden)"
)
_PREP = (
    r"(?:\s+(?:with|on|in|around|about|for|through|regarding|developing|improving|building|"
    r"to\s+" + _GROW_VERB + r"|" + _GROW_VERB + r"))?(?:\s+(?:my|our|the way i))?"
)
_WANT = (
    r"(?:i'?m|i am|im)?\s*(?:really\s+|mainly\s+|currently\s+|also\s+)?"
    r"(?:looking for|seeking|searching for|hoping for|after)|"
    r"(?:i|i'd|id|i would|i'll)?\s*(?:really\s+)?"
    r"(?:want|need|like|love|welcome|appreciate|value|benefit from|could use|could do with|"
    r"would like|would love|would welcome|would appreciate|would value|would benefit from)"
)
SEEK_FRAMES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(_LEAD + pattern + r"\s*:?\s*")
    for pattern in (
        # "I'm looking for someone who can help me with", "I'd like support with".
        r"(?:" + _WANT + r")\s+" + _HELP_NOUN + _WHO + _PREP,
        # "I want to get better at", "I'm keen to develop my", "my goal is to improve".
        r"(?:(?:i|i'd|id|i would|i'm|im|i am|i really)\s+)?(?:want|would like|'d like|like|"
        r"need|hope|plan|aim|wish|keen|eager|hoping|looking|trying|aiming|planning|"
        r"would love|love)\s+(?:to\s+)?" + _GROW_VERB + r"(?:\s+(?:my|our|on))?",
        r"(?:my\s+)?(?:main\s+|key\s+|biggest\s+|big\s+)?(?:goals?|aims?|priorit(?:y|ies)|focus|"
        r"objectives?|development needs?|development areas?|areas? to develop)"
        r"(?:\s+(?:for|this)\s+(?:this\s+|the\s+)?(?:year|mentoring|period))?"
        r"(?:\s+(?:is|are|would be|include|includes))?(?:\s+to\s+" + _GROW_VERB + r")?"
        r"(?:\s+(?:my|on))?",
        r"(?:i'?m|i am|im)\s+(?:really\s+|very\s+|particularly\s+|most\s+)?"
        r"(?:interested in|keen on|curious about|passionate about|hoping to learn about)",
        r"(?:i|i'm|im|i am)\s+(?:really\s+|often\s+|sometimes\s+)?"
        r"(?:struggle|struggling|struggled|find it hard|need to get better)\s+(?:with|to|at)",
        r"(?:help|support|advice|guidance|mentoring|coaching)\s+(?:with|on|around|in|for)"
        r"(?:\s+my)?",
        r"(?:looking|hoping|keen|wanting)\s+to\s+" + _GROW_VERB + r"(?:\s+my)?",
    )
)
# "I find stakeholder management hard": the goal sits between the frame's two halves.
FIND_HARD = re.compile(
    _LEAD + r"(?:i|i'm|im)\s+(?:find|finding|found)\s+(.+?)\s+(?:really\s+|quite\s+|very\s+)?"
    r"(?:hard|difficult|tricky|challenging|daunting)\b"
)
_OFFER_VERB = (
    r"(?:help|support|advise|mentor|coach|offer|share|talk|give advice|guide|chat|"
    r"provide|bring|teach|pass on|walk people through)"
)
OFFER_FRAMES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(_LEAD + pattern + r"\s*:?\s*")
    for pattern in (
        # "I can help with", "Happy to mentor on", "I'd be glad to share my experience of".
        r"(?:(?:i|i'd|id|i would|i'm|im|i am)\s+)?(?:can|could|(?:be\s+)?happy to|"
        r"(?:be\s+)?glad to|(?:be\s+)?able to|(?:be\s+)?willing to|love to|like to|enjoy|"
        r"offer to|keen to)\s+" + _OFFER_VERB + r"(?:ing)?"
        r"(?:\s+(?:advice|support|guidance|my experience|my knowledge|experience|knowledge|"
        r"insight|what i know|what i've learned|what i have learned|what i've learnt))?"
        r"(?:\s+(?:people|others|mentees|colleagues|anyone|you|someone|staff|new starters))?"
        r"(?:\s+(?:with|on|in|around|about|through|of|across|over))?(?:\s+(?:my|the))?",
        # "I have ten years' experience in", "I've got a lot of expertise with".
        r"(?:i have|i've got|i've|ive|i bring|i offer|i can offer|i can bring|bringing)\s+"
        r"(?:(?:a lot of|lots of|extensive|strong|deep|some|good|broad|solid|wide|"
        r"hands-on|practical|real|plenty of|\S+ years'?|\S+ years of|many years'?|"
        r"many years of)\s+)*(?:experience|expertise|knowledge|background|skills?)"
        r"(?:\s+(?:of|in|with|around|on|across|doing))?",
        r"(?:i'm|im|i am)\s+(?:very\s+|really\s+|quite\s+)?(?:experienced|skilled|an expert|expert|"
        r"knowledgeable|strong|good|confident|well versed)\s+(?:in|at|with|on)",
        r"(?:i\s+)?(?:specialise|specialize|specialising|specializing|specialised|"
        r"(?:i'm|im|i am)\s+(?:a\s+)?specialist)\s+in",
        r"(?:my\s+)?(?:main\s+|key\s+)?(?:areas? of expertise|expertise|strengths?|specialisms?|"
        r"skills|areas? i can help with)(?:\s+(?:are|is|include|includes|lie in|lies in))?",
        r"(?:ask me about|talk to me about|come to me for)",
        r"(?:most\s+of\s+)?(?:my\s+)?(?:mentees|people|colleagues|teams)\s+(?:often\s+|usually\s+)?"
        r"(?:come to me for|ask me about|ask me for help with)",
        r"(?:my\s+)?(?:strongest|main|best)\s+areas?\s+(?:is|are)",
        r"(?:i\s+)?(?:know|understand)\s+(?:a lot|lots|a fair bit|plenty)?\s*(?:about)?",
    )
)
# "I've led", "I have delivered": keep the skill ("led ...") without "I have".
OFFER_DONE = re.compile(
    _LEAD + r"(?:i've|ive|i have|i)\s+(?=(?:led|run|ran|managed|delivered|built|designed|"
    r"written|wrote|developed|set up|launched|overseen|oversaw|chaired|coached|mentored|"
    r"trained|worked on|negotiated|drafted|created|introduced|implemented|transformed|"
    r"rolled out|redesigned|established|supported|advised)\b)"
)

SMALL_TALK = re.compile(
    r"\b(?:outside (?:of )?work|spare time|free time|hobbies|hobby|weekends?|"
    r"my (?:wife|husband|partner|kids|children|family|dog|dogs|cat|cats|son|daughter)|"
    r"get in touch|look(?:ing)? forward|feel free|drop me a (?:line|message|note)|"
    r"reach out|give (?:something )?back|pay it forward|thanks?(?: you)? for reading|"
    r"many thanks|nice to meet|allotment|marathon|apologies|sorry for|cats?|dogs?|pets?|"
    r"food bank|volunteer|choir|coffee|bear with me|new to this scheme|makes? sense|"
    r"forward to hearing|"
    r"i (?:enjoy|love|like) (?:running|reading|walking|cooking|baking|gardening|football|"
    r"cycling|hiking|music|travel|travelling|swimming|the theatre|films|climbing|yoga))\b"
    r"|^(?:hi|hello|hey|thanks|thank you|cheers|regards|best wishes|kind regards)\b"
)
# Words that, left alone after a frame, say nothing ("I'm looking for a mentor").
EMPTY_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "some",
        "any",
        "me",
        "my",
        "i",
        "mentor",
        "mentors",
        "mentoring",
        "coach",
        "coaching",
        "someone",
        "somebody",
        "person",
        "people",
        "support",
        "help",
        "advice",
        "guidance",
        "please",
        "who",
        "that",
        "can",
        "could",
        "would",
        "to",
        "with",
        "on",
        "in",
        "for",
        "and",
        "or",
        "really",
        "just",
        "general",
        "generally",
        "others",
        "mentee",
        "mentees",
        "relationship",
        "new",
        "experienced",
        "good",
        "great",
        "supportive",
        "friendly",
        "talk",
        "chat",
        "it",
        "this",
        "that",
    ]
)
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "at",
        "for",
        "to",
        "on",
        "with",
        "by",
        "from",
        "as",
        "and",
        "or",
        "but",
        "so",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "i",
        "i'm",
        "im",
        "i've",
        "ive",
        "i'd",
        "id",
        "me",
        "my",
        "mine",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "their",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "who",
        "which",
        "what",
        "when",
        "where",
        "how",
        "also",
        "just",
        "very",
        "really",
        "now",
        "currently",
        "since",
        "ago",
        "before",
        "after",
        "then",
        "still",
        "about",
        "over",
        "into",
        "out",
        "up",
        "down",
        "new",
        "old",
    ]
)
NUMBER_WORDS = frozenset(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "a",
        "few",
        "several",
        "many",
        "couple",
        "years",
        "year",
        "months",
        "month",
        "weeks",
        "week",
        "decade",
        "decades",
        "nearly",
        "almost",
        "around",
        "about",
        "over",
        "last",
        "past",
    ]
)
SELF_WORDS = frozenset(
    [
        "work",
        "works",
        "working",
        "worked",
        "job",
        "role",
        "post",
        "position",
        "team",
        "based",
        "located",
        "live",
        "living",
        "joined",
        "join",
        "moved",
        "move",
        "transferred",
        "transfer",
        "started",
        "start",
        "came",
        "returned",
        "seconded",
        "secondment",
        "promoted",
        "promotion",
        "career",
        "grade",
        "department",
        "dept",
        "agency",
        "office",
        "civil",
        "servant",
        "service",
        "government",
        "here",
        "there",
        "time",
        "spent",
        "part",
        "member",
        "employed",
        "staff",
    ]
)
SELF_MARKERS = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?(?:i'm|im|i am)\s+(?:a|an|the|currently|now|based|located|"
    r"in|at|on|with|part of|working|employed|one of|from|originally|still|seconded|"
    r"new here|(?:\w+\s+)?(?:years?|months?) into)\b"
    r"|^(?:(?:and|but|so|also)\s+)?(?:i|i've|ive|i have|i had)\s+(?:recently\s+|just\s+|"
    r"originally\s+)?(?:work|worked|been|joined|moved|transferred|started|came|returned|"
    r"live|lived|was|spent|began|led|manage|lead|head|run|sit|am)\b"
    r"|^(?:(?:and|but|so|also)\s+)?(?:my\s+(?:current\s+|day\s+|substantive\s+)?"
    r"(?:role|job|post|team|position|grade|department|background|career|directorate|"
    r"office|manager|line manager))\b"
    r"|^(?:currently|previously|prev|before that|since|based|originally|after|now at|now in)\b"
    r"|\bbased\b|\s@\s*\w|\b(?:19|20)\d\d\b|\bband\s+[a-g1-9]\b|\b(?:on\s+)?loan\b|\bsecond(?:ed|ment)\b"
    r"|^(?:i\s+)?spent\s+(?:some\s+|a\s+few\s+|\w+\s+)?(?:time|years?|months?)\b|^ex-"
    r"|\b(?:part[- ]time|full[- ]time|job share|compressed hours|yrs)\b"
    r"|\b(?:since (?:19|20)\d\d|in (?:19|20)\d\d|for (?:the (?:last|past) )?"
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|many|several|a few|a couple of|nearly|almost|over)\s*(?:\w+\s+)?"
    r"(?:years?|months?))\b"
)
OTHER_PERSON = re.compile(
    r"\b(?:someone|somebody|a mentor|the mentor|my mentor|mentor who|mentors who|a coach|"
    r"coach who|a person|people|person who|them|they|who is|who's|whoever)\b"
)
OWN_DEPARTMENT = re.compile(
    r"\b(?:outside|out of|beyond|away from)\s+(?:of\s+)?(?:my|our)\s+(?:own\s+|current\s+|home\s+)?"
    r"(?:department|dept|organisation|organization|org|agency|directorate)\b"
    r"|\bnot\s+(?:someone\s+)?(?:from|in|within|at)\s+(?:my|our)\s+(?:own\s+|current\s+)?"
    r"(?:department|dept|organisation|organization|agency)\b"
    r"|\bnot\s+(?:\w+\s+)?(?:my|our)\s+(?:own\s+)?(?:department|dept|organisation|agency)\b"
    r"|\b(?:another|a different|different|diff|other|a separate)\s+(?:government\s+)?"
    r"(?:department|dept|organisation|organization|agency)s?\b"
    r"|\bfresh (?:perspective|pair of eyes) from outside\b|\bcross-government\b"
)
AT_LEAST = re.compile(
    r"\b(?:at least|minimum(?: of)?|no lower than|no more junior than|not below|at or above)\b"
    r"|\b(?:or|and)\s+(?:above|higher|more senior|up|upwards|over)\b|\+"
)
SENIORITY = re.compile(r"\b(?:senior to me|more senior|above my grade|a grade above)\b")
REMOTE = re.compile(
    r"\b(?:online|remote(?:ly)?|virtual(?:ly)?|on teams|over teams|via teams|teams calls?|"
    r"zoom|video(?: calls?)?|by phone|over the phone|phone calls?|hybrid)\b"
)
IN_PERSON = re.compile(r"\b(?:in person|face to face|face-to-face|f2f|in the office)\b")
MEETING = re.compile(
    r"\b(?:meet|meeting|meetings|meet up|catch up|catch-ups?|calls?|sessions?|chats?)\b"
    r"|\b(?:monthly|weekly|fortnightly|once a month|every (?:few |other )?(?:weeks?|months?))\b"
)
PREFERENCE_WORDS = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?(?:ideally|preferably|i'd prefer|i would prefer|i prefer|"
    r"i'd rather|i would rather|prefer|if possible|it would be (?:good|great|nice|helpful)|"
    r"it'd be (?:good|great|nice)|doesn't matter|does not matter|i don't mind|not fussy|"
    r"no preference)\b"
    r"|\b(?:ideally|preferably|would rather|if possible|i'd prefer|i would prefer|"
    r"i prefer|doesn't matter|does not matter|don't mind|do not mind|if poss|pref)\b"
)
NEGATED = re.compile(r"\b(?:not|n't|never|avoid|except|rather than|instead of)\b")
