#include "topology_parser.hpp"

#include <cerrno>
#include <utility>

namespace rcsim::topology {

const char *to_string(NodeKind k) {
    switch (k) {
    case NodeKind::RootPort:
        return "root port";
    case NodeKind::Switch:
        return "switch";
    case NodeKind::Device:
        return "device";
    }
    return "?";
}

std::string TopologyError::to_string() const {
    if (line == 0)
        return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message;
}

namespace {

struct Word {
    std::string text;
    unsigned col = 0;
    bool quoted = false;
};

// Thrown inside one line's parse only; parse_topology turns it into its
// return value, so nothing escapes the API.
struct Failure {
    unsigned col;
    std::string message;
};

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

// Words split at blanks; '#' outside quotes starts a comment; "..." is one
// word without escapes (a command line that needs a '"' has no place here).
std::vector<Word> split_line(const std::string &line) {
    std::vector<Word> out;
    size_t i = 0;
    while (i < line.size()) {
        if (blank(line[i])) {
            ++i;
            continue;
        }
        if (line[i] == '#')
            break;
        Word w;
        w.col = unsigned(i + 1);
        if (line[i] == '"') {
            const size_t end = line.find('"', i + 1);
            if (end == std::string::npos)
                throw Failure{w.col, "unterminated string"};
            w.text = line.substr(i + 1, end - i - 1);
            w.quoted = true;
            i = end + 1;
            if (i < line.size() && !blank(line[i]) && line[i] != '#')
                throw Failure{unsigned(i + 1), "expected a blank after the string"};
        } else {
            size_t end = i;
            while (end < line.size() && !blank(line[end]) && line[end] != '#' && line[end] != '"')
                ++end;
            w.text = line.substr(i, end - i);
            i = end;
        }
        out.push_back(std::move(w));
    }
    return out;
}

bool valid_name(const std::string &s) {
    if (s.empty() || s.size() > kMaxNameLength)
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

class Parser {
  public:
    explicit Parser(Topology *t) : t_(t) {}

    void line(const std::vector<Word> &words, unsigned line_no, size_t line_len);
    void finish() const;

  private:
    const Word &take(const char *what);
    void expect(const char *word);
    void done() const;
    std::string new_name();
    void attach(Node *n);
    unsigned count(NodeKind k) const;

    Topology *t_;
    const std::vector<Word> *w_ = nullptr;
    size_t i_ = 0;
    unsigned end_col_ = 1;
};

const Word &Parser::take(const char *what) {
    if (i_ >= w_->size())
        throw Failure{end_col_, std::string("missing ") + what};
    return (*w_)[i_++];
}

void Parser::expect(const char *word) {
    const unsigned col = i_ < w_->size() ? (*w_)[i_].col : end_col_;
    const Word &w = take((std::string("'") + word + "'").c_str());
    if (w.quoted || w.text != word)
        throw Failure{col, std::string("expected '") + word + "', not '" + w.text + "'"};
}

void Parser::done() const {
    if (i_ < w_->size())
        throw Failure{(*w_)[i_].col, "unexpected '" + (*w_)[i_].text + "' after the declaration"};
}

unsigned Parser::count(NodeKind k) const {
    unsigned n = 0;
    for (const Node &x : t_->nodes)
        n += x.kind == k;
    return n;
}

std::string Parser::new_name() {
    const Word &w = take("a name");
    if (w.quoted || !valid_name(w.text))
        throw Failure{w.col, "bad name '" + w.text + "': 1 to 32 characters of a-z, 0-9 and _"};
    for (const Node &x : t_->nodes)
        if (x.name == w.text)
            throw Failure{w.col,
                          "'" + w.text + "' is already declared on line " + std::to_string(x.line)};
    return w.text;
}

// `on PARENT`: a root port by its name, a switch's downstream port as
// SWITCH.K; each holds one device or switch.
void Parser::attach(Node *n) {
    expect("on");
    const Word &w = take("the parent (a root port, or SWITCH.PORT)");
    const size_t dot = w.text.find('.');
    const std::string pname = w.text.substr(0, dot);
    int parent = -1;
    for (size_t k = 0; k < t_->nodes.size(); ++k)
        if (t_->nodes[k].name == pname)
            parent = int(k);
    if (w.quoted || parent < 0)
        throw Failure{w.col, "unknown parent '" + pname + "' (declare it on a line above)"};
    const Node &p = t_->nodes[size_t(parent)];
    if (p.kind == NodeKind::Device)
        throw Failure{w.col, "'" + pname +
                                 "' is a device: only root ports and switch ports "
                                 "take a device or a switch"};
    int port = -1;
    if (p.kind == NodeKind::RootPort && dot != std::string::npos)
        throw Failure{w.col, "'" + pname + "' is a root port: name it without a port"};
    if (p.kind == NodeKind::Switch) {
        const std::string digits = dot == std::string::npos ? "" : w.text.substr(dot + 1);
        if (digits.size() != 1 || digits[0] < '0' || digits[0] > '9')
            throw Failure{w.col, "'" + pname + "' is a switch: name its port as " + pname +
                                     ".K (K in 0.." + std::to_string(p.ports - 1) + ")"};
        port = digits[0] - '0';
        if (unsigned(port) >= p.ports)
            throw Failure{w.col, "switch '" + pname + "' has ports 0.." +
                                     std::to_string(p.ports - 1) + ", not " + digits};
    }
    for (const Node &x : t_->nodes)
        if (x.parent == parent && x.parent_port == port)
            throw Failure{w.col, w.text + " already holds '" + x.name + "' (line " +
                                     std::to_string(x.line) + "): one device or switch a port"};
    n->parent = parent;
    n->parent_port = port;
}

void Parser::line(const std::vector<Word> &words, unsigned line_no, size_t line_len) {
    w_ = &words;
    i_ = 0;
    end_col_ = unsigned(line_len + 1);
    if (words.empty())
        return;
    const Word &kw = take("a declaration");
    Node n;
    n.line = line_no;
    if (!kw.quoted && kw.text == "root-port") {
        n.kind = NodeKind::RootPort;
        if (count(NodeKind::RootPort) == kMaxRootPorts)
            throw Failure{kw.col, "more than 8 root ports"};
        n.name = new_name();
    } else if (!kw.quoted && kw.text == "switch") {
        n.kind = NodeKind::Switch;
        if (count(NodeKind::Switch) == kMaxSwitches)
            throw Failure{kw.col, "more than 32 switches"};
        n.name = new_name();
        attach(&n);
        expect("ports");
        const Word &p = take("the number of ports (1..8)");
        if (p.quoted || p.text.size() != 1 || p.text[0] < '1' || p.text[0] > '8')
            throw Failure{p.col, "a switch has 1..8 ports, not '" + p.text + "'"};
        n.ports = unsigned(p.text[0] - '0');
    } else if (!kw.quoted && kw.text == "device") {
        n.kind = NodeKind::Device;
        if (count(NodeKind::Device) == kMaxDevices)
            throw Failure{kw.col, "more than 32 devices"};
        n.name = new_name();
        attach(&n);
        expect("server");
        const Word &s = take("the server's command line in quotes");
        if (!s.quoted)
            throw Failure{s.col, "the server's command line goes in quotes"};
        if (s.text.find_first_not_of(" \t") == std::string::npos)
            throw Failure{s.col, "empty server command line"};
        n.server = s.text;
    } else {
        throw Failure{kw.col,
                      "unknown declaration '" + kw.text + "' (root-port, switch or device)"};
    }
    done();
    t_->nodes.push_back(std::move(n));
}

void Parser::finish() const {
    if (count(NodeKind::Device) == 0)
        throw Failure{0, "the topology has no device"};
}

} // namespace

int parse_topology(const std::string &text, const std::string &file, Topology *out,
                   TopologyError *error) {
    Topology t;
    Parser parser(&t);
    unsigned line_no = 0;
    size_t pos = 0;
    try {
        while (pos < text.size()) {
            size_t end = text.find('\n', pos);
            if (end == std::string::npos)
                end = text.size();
            const std::string line = text.substr(pos, end - pos);
            ++line_no;
            pos = end + 1;
            parser.line(split_line(line), line_no, line.size());
        }
        parser.finish();
    } catch (const Failure &f) {
        *error = TopologyError{file, f.col == 0 ? 0 : line_no, f.col, f.message};
        return -EINVAL;
    }
    *out = std::move(t);
    return 0;
}

} // namespace rcsim::topology
