"""Topic bank for the matching evaluation set (used by make_matching_eval.py).

Each topic is a latent label. Mentors describe it in their own words (expertise items
and bio sentences); mentees describe the same need differently: everyday wording,
symptoms rather than skill names, and as few of the mentors' keywords as a person
would naturally avoid. Relevance is defined from these labels alone, never by any
matcher. Some topics are deliberately close (policy vs ministerial briefing, change
vs leadership, data vs digital) to make near misses possible.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """One latent expertise/need with mentor-side and mentee-side wordings."""

    key: str
    professions: tuple[str, ...]
    titles: tuple[str, ...]
    offer_items: tuple[str, ...]
    offer_sentences: tuple[str, ...]
    goal_items: tuple[str, ...]
    goal_sentences: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="stakeholders",
        professions=("POLICY", "OPERATIONAL_DELIVERY", "PROJECT_DELIVERY"),
        titles=("Head of Partnerships", "Deputy Director, Strategy"),
        offer_items=(
            "Stakeholder management at board level",
            "Managing senior stakeholders",
            "Cross-government partnership working",
            "Influencing without direct authority",
            "Stakeholder engagement and relationship building",
        ),
        offer_sentences=(
            "I have spent years managing relationships with senior stakeholders across Whitehall.",
            "I regularly broker agreement between departments with competing priorities.",
            "I represent my directorate at cross-government boards and steering groups.",
            "Much of my role is influencing partners I have no line authority over.",
        ),
        goal_items=(
            "getting senior people on side",
            "winning backing for my ideas from directors",
            "bringing other teams round to a proposal",
            "handling the politics between organisations",
        ),
        goal_sentences=(
            "I struggle to persuade people more senior than me to support my work.",
            "When other departments disagree with us I never know how to bring them round.",
            "I want to build trust with the people whose buy-in my project depends on.",
        ),
    ),
    Topic(
        key="policy",
        professions=("POLICY",),
        titles=("Senior Policy Adviser", "Head of Policy"),
        offer_items=(
            "Policy development",
            "Evidence-based policy making",
            "Options appraisal and policy design",
            "Developing policy from first principles",
            "Public consultation design",
        ),
        offer_sentences=(
            "I have led policy development on welfare reform and housing.",
            "I enjoy taking a policy from an early problem statement to an agreed set of options.",
            "I have run two national public consultations and the analysis of responses.",
            "I help teams use evidence and behavioural insight when designing interventions.",
        ),
        goal_items=(
            "working out what government should actually do about a problem",
            "turning research findings into practical proposals",
            "moving from operations into a role shaping new rules",
            "weighing up different ways to tackle an issue",
        ),
        goal_sentences=(
            "I'd like to understand how a vague political ambition becomes a concrete plan.",
            "I have just moved into a team that designs new schemes and feel out of my depth.",
            "I want to learn how to gather views from the public and use them well.",
        ),
    ),
    Topic(
        key="ministerial",
        professions=("POLICY", "COMMUNICATIONS"),
        titles=("Head of Private Office", "Principal Private Secretary"),
        offer_items=(
            "Ministerial submissions and briefings",
            "Private office experience",
            "Parliamentary questions and correspondence",
            "Briefing ministers for select committees",
            "Writing for ministers",
        ),
        offer_sentences=(
            "I spent three years in a Secretary of State's private office.",
            "I have drafted hundreds of ministerial submissions and red box briefings.",
            "I coach teams on preparing ministers for select committee appearances.",
            "I know how to write a clear one-page brief under heavy time pressure.",
        ),
        goal_items=(
            "writing papers that a busy politician will read",
            "preparing someone for a tough grilling by MPs",
            "working closely with the people at the very top of the department",
            "getting to the point quickly in written advice",
        ),
        goal_sentences=(
            "My drafts keep coming back covered in comments for being too long.",
            "I've been asked to support a minister at a committee hearing and I'm nervous.",
            "I would love to work in the office that supports our Secretary of State one day.",
        ),
    ),
    Topic(
        key="digital",
        professions=("DIGITAL",),
        titles=("Service Owner", "Head of Digital Services"),
        offer_items=(
            "Digital transformation",
            "User-centred service design",
            "Agile delivery and product management",
            "GDS service standard assessments",
            "Running multidisciplinary digital teams",
        ),
        offer_sentences=(
            "I have taken three services through GDS alpha, beta and live assessments.",
            "I lead multidisciplinary teams of product managers, designers and developers.",
            "I champion user research so that services are built around real needs.",
            "I moved our paper-based processes onto modern online platforms.",
        ),
        goal_items=(
            "replacing our clunky paper forms with something online",
            "understanding what the people who use our service really need",
            "working in short cycles rather than big-bang plans",
            "managing a team of developers and designers",
        ),
        goal_sentences=(
            "Our team still posts letters for everything and I want us to modernise.",
            "I've been made responsible for a website that the public hate using.",
            "I keep hearing about sprints and user stories and want to do it properly.",
        ),
    ),
    Topic(
        key="data",
        professions=("ANALYSIS", "DIGITAL"),
        titles=("Principal Statistician", "Head of Data Science"),
        offer_items=(
            "Data analysis and statistics",
            "Data science and machine learning",
            "Building dashboards and management information",
            "Economic and statistical modelling",
            "Python, R and SQL",
        ),
        offer_sentences=(
            "I lead an analytical team producing official statistics.",
            "I built the forecasting models our directorate uses for spending decisions.",
            "I teach colleagues to code in Python and R and to use reproducible pipelines.",
            "I enjoy making complex numbers understandable to non-specialists.",
        ),
        goal_items=(
            "making sense of large spreadsheets",
            "learning to program so I can automate reports",
            "using numbers to make my case",
            "predicting future demand for our service",
        ),
        goal_sentences=(
            "I spend days copying figures between spreadsheets and there must be a better way.",
            "I want to be confident reading charts and tables in our performance packs.",
            "I'd like to move into a more quantitative role but have no coding background.",
        ),
    ),
    Topic(
        key="finance",
        professions=("FINANCE",),
        titles=("Finance Business Partner", "Head of Financial Planning"),
        offer_items=(
            "Financial management and budgeting",
            "Spending Review bids",
            "Business cases and HM Treasury approvals",
            "Forecasting and budget control",
            "Finance business partnering",
        ),
        offer_sentences=(
            "I manage a budget of 400 million pounds and the monthly forecasting cycle.",
            "I have written Green Book business cases for major capital investments.",
            "I led our department's Spending Review submission.",
            "I am a qualified accountant and enjoy helping non-finance colleagues.",
        ),
        goal_items=(
            "keeping my team's spending under control",
            "making the money case for a new project",
            "getting to grips with the money side of my job",
            "dealing with the Treasury",
        ),
        goal_sentences=(
            "I've just become a budget holder and I'm scared of overspending.",
            "I need to justify why we should get funding for a new scheme.",
            "Numbers about pounds and pence make me anxious in senior meetings.",
        ),
    ),
    Topic(
        key="commercial",
        professions=("COMMERCIAL",),
        titles=("Commercial Lead", "Head of Procurement"),
        offer_items=(
            "Procurement and contract management",
            "Commercial strategy",
            "Supplier relationship management",
            "Public contract regulations",
            "Negotiating with suppliers",
        ),
        offer_sentences=(
            "I have run complex procurements worth over 100 million pounds.",
            "I manage strategic suppliers and hold them to account on performance.",
            "I advise teams on the procurement regulations and routes to market.",
            "I enjoy negotiating contract terms that protect the taxpayer.",
        ),
        goal_items=(
            "buying services from outside companies",
            "holding a contractor to account when they underperform",
            "running a tender for the first time",
            "getting better value from the firms we pay",
        ),
        goal_sentences=(
            "The company we outsourced to keeps missing deadlines and I don't know my options.",
            "I have to buy an IT system soon and have never done it before.",
            "I want to understand the rules on how the public sector purchases things.",
        ),
    ),
    Topic(
        key="people_management",
        professions=("HR", "OPERATIONAL_DELIVERY"),
        titles=("Team Leader", "HR Business Partner"),
        offer_items=(
            "Line management",
            "Managing performance and difficult conversations",
            "Building high-performing teams",
            "Coaching and developing staff",
            "Managing attendance and wellbeing cases",
        ),
        offer_sentences=(
            "I have line managed teams of up to 40 people.",
            "I have handled many underperformance and attendance cases fairly and calmly.",
            "I invest a lot of time in developing the people who work for me.",
            "I help new managers prepare for hard conversations.",
        ),
        goal_items=(
            "being a good boss for the first time",
            "telling someone their work isn't good enough",
            "getting the best out of the people who report to me",
            "dealing with a colleague who is often off sick",
        ),
        goal_sentences=(
            "I've just been promoted and now three people report to me.",
            "One of my team keeps missing deadlines and I avoid raising it.",
            "I want my team to feel motivated and supported.",
        ),
    ),
    Topic(
        key="career_progression",
        professions=("HR", "POLICY", "OPERATIONAL_DELIVERY"),
        titles=("Talent Lead", "Resourcing Manager"),
        offer_items=(
            "Success Profiles and competency-based interviews",
            "Sifting and interview panels",
            "Career planning",
            "Writing strong applications and behaviour examples",
            "Fast Stream and talent schemes",
        ),
        offer_sentences=(
            "I have sat on well over a hundred interview panels at SEO to SCS.",
            "I help people write behaviour examples using the STAR approach.",
            "I ran our department's talent programme for aspiring senior leaders.",
            "I can give honest feedback on applications before they are submitted.",
        ),
        goal_items=(
            "getting promoted",
            "doing better in job interviews",
            "planning where my career goes next",
            "writing a job application that stands out",
        ),
        goal_sentences=(
            "I keep getting to the final stage for the next grade and then falling short.",
            "I don't know how to describe my achievements on paper.",
            "I'm not sure which roles to aim for over the next five years.",
        ),
    ),
    Topic(
        key="project_delivery",
        professions=("PROJECT_DELIVERY",),
        titles=("Programme Director", "Senior Responsible Owner"),
        offer_items=(
            "Programme and project management",
            "Major projects and the Government Major Projects Portfolio",
            "Risk and issue management",
            "Project governance and assurance",
            "Planning and scheduling complex delivery",
        ),
        offer_sentences=(
            "I have been Senior Responsible Owner for a major infrastructure programme.",
            "I set up governance, risk registers and gateway reviews for large projects.",
            "I am a qualified project professional and an Infrastructure and Projects "
            "Authority reviewer.",
            "I recovered two red-rated programmes and brought them back on track.",
        ),
        goal_items=(
            "keeping a big piece of work on schedule",
            "spotting what could go wrong before it does",
            "leading a large initiative with many moving parts",
            "reporting progress honestly when things slip",
        ),
        goal_sentences=(
            "I've been put in charge of a two-year piece of work and I'm worried about deadlines.",
            "Our plans always look fine until suddenly everything is late.",
            "I want to be better at organising lots of workstreams at once.",
        ),
    ),
    Topic(
        key="leadership",
        professions=("POLICY", "OPERATIONAL_DELIVERY", "DIGITAL", "FINANCE"),
        titles=("Director", "Deputy Director"),
        offer_items=(
            "Senior leadership",
            "Leading large directorates",
            "Setting vision and strategy",
            "Leadership at SCS level",
            "Leading through uncertainty",
        ),
        offer_sentences=(
            "I have led a directorate of 600 staff across five locations.",
            "I joined the Senior Civil Service ten years ago and have led in three departments.",
            "I care about creating a clear sense of direction for large teams.",
            "I have led organisations through reorganisations and budget cuts.",
        ),
        goal_items=(
            "stepping up to run a much bigger area",
            "inspiring hundreds of people I rarely meet",
            "thinking like someone at the top of the organisation",
            "setting a direction when nobody knows the answer",
        ),
        goal_sentences=(
            "I've just taken on a role where I'm responsible for several teams across the country.",
            "I want to become a Deputy Director within the next couple of years.",
            "I find it hard to step back from the detail and look at the bigger picture.",
        ),
    ),
    Topic(
        key="change",
        professions=("OPERATIONAL_DELIVERY", "HR", "PROJECT_DELIVERY"),
        titles=("Head of Transformation", "Change Manager"),
        offer_items=(
            "Organisational change management",
            "Restructures and operating model redesign",
            "Culture change",
            "Merging teams after machinery of government changes",
            "Business transformation",
        ),
        offer_sentences=(
            "I led the merger of two agencies after a machinery of government change.",
            "I have redesigned operating models and managed the consultation with unions.",
            "I know how to keep staff engaged while their jobs are changing.",
            "I help leaders plan and communicate large-scale change.",
        ),
        goal_items=(
            "helping my team cope with a reorganisation",
            "bringing people along when the way we work is shifting",
            "combining two teams into one",
            "changing the way an office behaves",
        ),
        goal_sentences=(
            "Our department is being restructured and morale is very low.",
            "I've been asked to lead a move to a new way of working and people are resisting.",
            "We are joining with another organisation and nobody knows what will happen.",
        ),
    ),
    Topic(
        key="public_speaking",
        professions=("COMMUNICATIONS", "POLICY"),
        titles=("Head of Internal Communications", "Communications Director"),
        offer_items=(
            "Public speaking and presentations",
            "Presenting to senior boards",
            "Facilitation of large events",
            "Speaking at conferences",
            "Storytelling for leaders",
        ),
        offer_sentences=(
            "I regularly speak at national conferences and run large all-staff events.",
            "I train senior leaders in presenting with impact.",
            "I love helping nervous speakers find their own style.",
            "I facilitate workshops with hundreds of participants.",
        ),
        goal_items=(
            "standing up in front of a room without panicking",
            "sounding confident when I talk at big meetings",
            "getting my message across when I'm on a stage",
            "leading a workshop for a large group",
        ),
        goal_sentences=(
            "My hands shake whenever I have to talk to a large audience.",
            "I've been asked to address our whole directorate next month.",
            "I want people to remember what I said after I've spoken.",
        ),
    ),
    Topic(
        key="wellbeing",
        professions=("HR", "OPERATIONAL_DELIVERY"),
        titles=("Wellbeing Lead", "Mental Health First Aider"),
        offer_items=(
            "Wellbeing and resilience",
            "Mental health at work",
            "Work-life balance and flexible working",
            "Preventing burnout",
            "Mental Health First Aid",
        ),
        offer_sentences=(
            "I am a trained Mental Health First Aider and chair our wellbeing network.",
            "I recovered from burnout and now help others set sustainable boundaries.",
            "I work compressed hours and advise on making flexible working succeed.",
            "I talk openly about resilience and looking after yourself at work.",
        ),
        goal_items=(
            "not feeling exhausted all the time",
            "switching off in the evenings",
            "coping with stress when the pressure is on",
            "fitting my job around caring for my children",
        ),
        goal_sentences=(
            "I've been working late every night and I'm running on empty.",
            "I feel anxious on Sunday evenings thinking about the week ahead.",
            "I have a young family and want to work part time without hurting my career.",
        ),
    ),
    Topic(
        key="inclusion",
        professions=("HR", "POLICY"),
        titles=("Diversity and Inclusion Lead", "Network Chair"),
        offer_items=(
            "Diversity and inclusion",
            "Staff network leadership",
            "Inclusive recruitment",
            "Race equality and allyship",
            "Disability confidence and reasonable adjustments",
        ),
        offer_sentences=(
            "I chair our department's race equality network.",
            "I have designed inclusive recruitment practices adopted across the department.",
            "As a disabled leader I advise on reasonable adjustments and accessibility.",
            "I sponsor colleagues from under-represented groups into senior roles.",
        ),
        goal_items=(
            "progressing as someone from an ethnic minority background",
            "getting the support I need for my disability",
            "feeling that I belong in senior meetings",
            "making our team a place where everyone can thrive",
        ),
        goal_sentences=(
            "I'm often the only person who looks like me in the room.",
            "I have dyslexia and need help asking for the right adjustments.",
            "I'd like to talk with someone who has faced similar barriers and got on.",
        ),
    ),
    Topic(
        key="legislation",
        professions=("POLICY", "LEGAL"),
        titles=("Bill Manager", "Parliamentary Counsel Liaison"),
        offer_items=(
            "Bill management and primary legislation",
            "Secondary legislation and statutory instruments",
            "Parliamentary process",
            "Working with parliamentary counsel",
            "Handling a bill through both Houses",
        ),
        offer_sentences=(
            "I was bill manager for an Act that passed through both Houses last session.",
            "I have laid dozens of statutory instruments.",
            "I work closely with lawyers and parliamentary counsel on drafting instructions.",
            "I understand parliamentary procedure from second reading to Royal Assent.",
        ),
        goal_items=(
            "turning a policy into law",
            "understanding how Parliament passes new rules",
            "getting new regulations made",
            "working with government lawyers",
        ),
        goal_sentences=(
            "My team needs to change the law next year and none of us has done it before.",
            "I find debates in the Commons and Lords confusing to follow.",
            "I've been told I need to instruct lawyers and I don't know where to start.",
        ),
    ),
    Topic(
        key="communications",
        professions=("COMMUNICATIONS",),
        titles=("Head of News", "Press Officer"),
        offer_items=(
            "Media relations and press office",
            "Campaign planning",
            "Crisis communications",
            "Social media strategy",
            "Strategic communications",
        ),
        offer_sentences=(
            "I ran the press office during two major national incidents.",
            "I plan public campaigns from insight to evaluation.",
            "I handle hostile journalists and difficult news stories.",
            "I advise leaders on what to say when things go wrong in public.",
        ),
        goal_items=(
            "dealing with journalists",
            "getting the public to notice an important message",
            "responding when a story about us goes viral",
            "promoting our work online",
        ),
        goal_sentences=(
            "Our team was in the newspapers last month and we were caught off guard.",
            "We launch a new scheme soon and need people to hear about it.",
            "I want to understand how to talk about our work on Twitter and LinkedIn.",
        ),
    ),
    Topic(
        key="international",
        professions=("POLICY", "INTERNATIONAL_TRADE"),
        titles=("Trade Negotiator", "Head of International Relations"),
        offer_items=(
            "International negotiations",
            "Trade policy",
            "Working with foreign governments and embassies",
            "EU and multilateral negotiations",
            "Overseas postings",
        ),
        offer_sentences=(
            "I negotiated chapters of free trade agreements with several countries.",
            "I have served two overseas postings in British embassies.",
            "I represent the UK at multilateral meetings in Geneva and Brussels.",
            "I enjoy helping colleagues prepare a negotiating strategy.",
        ),
        goal_items=(
            "working abroad for the government",
            "getting a deal with another country",
            "understanding how other nations' officials think",
            "bargaining when the other side holds the cards",
        ),
        goal_sentences=(
            "I'd love to be posted overseas but don't know how people get those jobs.",
            "I'm joining talks with another country's officials next month.",
            "I want to learn how to hold my ground when the other party is tougher.",
        ),
    ),
    Topic(
        key="operations",
        professions=("OPERATIONAL_DELIVERY",),
        titles=("Operations Manager", "Head of Contact Centre"),
        offer_items=(
            "Operational delivery",
            "Running contact centres",
            "Frontline service performance",
            "Workforce planning and scheduling",
            "Continuous improvement and Lean",
        ),
        offer_sentences=(
            "I run a contact centre of 900 staff handling three million calls a year.",
            "I use Lean methods to take waste out of frontline processes.",
            "I manage service performance targets and workforce planning.",
            "I started as an administrative officer on the front line and worked my way up.",
        ),
        goal_items=(
            "reducing how long the public wait on the phone",
            "making our processing centre run more smoothly",
            "managing shift patterns for a big team",
            "cutting out pointless steps in how we handle cases",
        ),
        goal_sentences=(
            "Our backlog of cases keeps growing and customers are complaining.",
            "I manage a team answering calls from the public and we never meet our targets.",
            "I want to make our day-to-day work more efficient.",
        ),
    ),
    Topic(
        key="cyber",
        professions=("DIGITAL", "SECURITY"),
        titles=("Chief Information Security Officer", "Cyber Security Lead"),
        offer_items=(
            "Cyber security",
            "Information assurance and risk",
            "Incident response",
            "Security architecture",
            "Protective security and vetting",
        ),
        offer_sentences=(
            "I lead our department's cyber security operations centre.",
            "I have managed the response to several serious security incidents.",
            "I assess information risk for new digital services.",
            "I help teams design systems that are secure by default.",
        ),
        goal_items=(
            "protecting our systems from hackers",
            "knowing what to do if we are attacked online",
            "keeping sensitive information safe",
            "moving into a career defending computer networks",
        ),
        goal_sentences=(
            "We had a phishing attack last month and I realised how little I know.",
            "I handle sensitive personal data and worry about leaks.",
            "I'd like to retrain in protecting IT from attackers.",
        ),
    ),
)

MENTOR_NOISE: tuple[str, ...] = (
    "I joined the civil service in 2009 after working in the private sector.",
    "Outside work I run a book club and enjoy long walks with my dog.",
    "I have worked in four different departments over my career.",
    "I live in the countryside and commute into the office twice a week.",
    "I'm a keen cyclist and a school governor.",
    "I studied history at university.",
    "I am happy to meet online or in person.",
    "I have two teenage children and a very patient partner.",
    "Before this role I worked in local government for several years.",
    "I enjoy cooking, gardening and the occasional half marathon.",
    "I try to give back because I had great mentors early in my career.",
    "I am based in a regional office and travel to London regularly.",
)

MENTEE_NOISE: tuple[str, ...] = (
    "I have been in my current post for about two years.",
    "I would like to meet roughly once a month.",
    "I'm happy to meet online.",
    "I work part of the week from home.",
    "I joined the civil service as an apprentice.",
    "I'd really appreciate someone to talk things through with.",
    "I am open to a mentor from any department.",
    "I was recommended this scheme by my manager.",
)
