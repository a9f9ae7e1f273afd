#include "browser.hpp"

#include "run_command.hpp"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace rcsim::test {

namespace {

std::vector<std::string> chromium_args(const std::string &chromium, const std::string &profile) {
    return {chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--user-data-dir=" + profile,
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND"};
}

uint32_t be32(const std::string &s, size_t at) {
    return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 |
           uint32_t(uint8_t(s[at + 2])) << 8 | uint32_t(uint8_t(s[at + 3]));
}

int paeth(int a, int b, int c) {
    const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// Undoes the per-row filters (PNG spec, section 9) in place.
std::string unfilter(std::vector<uint8_t> &raw, uint32_t w, uint32_t h, unsigned bpp) {
    const size_t stride = size_t(w) * bpp;
    for (uint32_t y = 0; y < h; ++y) {
        uint8_t *row = &raw[y * (stride + 1)];
        const uint8_t *prev = y ? &raw[(y - 1) * (stride + 1) + 1] : nullptr;
        const uint8_t f = row[0];
        uint8_t *px = row + 1;
        for (size_t i = 0; i < stride; ++i) {
            const int a = i >= bpp ? px[i - bpp] : 0, b = prev ? prev[i] : 0,
                      c = prev && i >= bpp ? prev[i - bpp] : 0;
            const int add = f == 0   ? 0
                            : f == 1 ? a
                            : f == 2 ? b
                            : f == 3 ? (a + b) / 2
                                     : paeth(a, b, c);
            if (f > 4)
                return "bad filter type " + std::to_string(f);
            px[i] = uint8_t(px[i] + add);
        }
    }
    return "";
}

} // namespace

std::string find_chromium() {
    for (const char *p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
        if (access(p, X_OK) == 0)
            return p;
    return "";
}

PageLoad load_page(const std::string &chromium, const std::string &html,
                   const std::string &profile) {
    std::vector<std::string> args = chromium_args(chromium, profile);
    args.push_back("--dump-dom");
    args.push_back("file://" + html);
    const CommandResult r = run_command(args, 60000);
    PageLoad p;
    p.exit_code = r.exit_code;
    p.dom = r.out;
    p.log = r.err;
    std::istringstream in(r.err);
    for (std::string line; std::getline(in, line);)
        if (line.find(":CONSOLE") != std::string::npos ||
            line.find("Uncaught") != std::string::npos)
            p.console.push_back(line);
    return p;
}

int screenshot(const std::string &chromium, const std::string &html, const std::string &png,
               int width, int height, const std::string &profile) {
    std::vector<std::string> args = chromium_args(chromium, profile);
    args.push_back("--screenshot=" + png);
    args.push_back("--window-size=" + std::to_string(width) + "," + std::to_string(height));
    args.push_back("file://" + html);
    return run_command(args, 60000).exit_code;
}

std::string read_png(const std::string &path, Image *out) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string s = ss.str();
    if (s.size() < 8 || s.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0)
        return "no PNG signature";
    std::string idat;
    unsigned bpp = 0;
    for (size_t at = 8; at + 12 <= s.size();) {
        const uint32_t len = be32(s, at);
        const std::string type = s.substr(at + 4, 4);
        if (at + 12 + len > s.size())
            return "chunk " + type + " runs past the end";
        if (type == "IHDR") {
            out->width = be32(s, at + 8);
            out->height = be32(s, at + 12);
            const int depth = uint8_t(s[at + 16]), color = uint8_t(s[at + 17]);
            if (depth != 8 || (color != 2 && color != 6) || s[at + 20] != 0)
                return "not 8-bit RGB/RGBA non-interlaced";
            bpp = color == 6 ? 4 : 3;
        } else if (type == "IDAT") {
            idat += s.substr(at + 8, len);
        }
        at += 12 + len;
    }
    if (!bpp || !out->width || !out->height || out->width > 10000 || out->height > 10000)
        return "no usable IHDR";
    std::vector<uint8_t> raw(size_t(out->height) * (size_t(out->width) * bpp + 1));
    uLongf n = raw.size();
    if (uncompress(raw.data(), &n, reinterpret_cast<const Bytef *>(idat.data()), idat.size()) !=
            Z_OK ||
        n != raw.size())
        return "IDAT does not inflate to the image's size";
    const std::string why = unfilter(raw, out->width, out->height, bpp);
    if (!why.empty())
        return why;
    out->rgb.clear();
    for (uint32_t y = 0; y < out->height; ++y)
        for (uint32_t x = 0; x < out->width; ++x)
            for (unsigned c = 0; c < 3; ++c)
                out->rgb.push_back(raw[y * (size_t(out->width) * bpp + 1) + 1 + x * bpp + c]);
    return "";
}

} // namespace rcsim::test
